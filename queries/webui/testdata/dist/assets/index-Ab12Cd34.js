console.log("infrahub ui fixture");
