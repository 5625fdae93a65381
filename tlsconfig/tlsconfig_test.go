package tlsconfig_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/tlsconfig"
)

func TestClient(t *testing.T) {
	cfg, err := tlsconfig.Options{Enabled: true}.Client("db.example")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.ServerName != "db.example" || cfg.InsecureSkipVerify || cfg.RootCAs != nil {
		t.Errorf("default client config = %+v", cfg)
	}
	if cfg, _ := (tlsconfig.Options{Insecure: true}).Client(""); !cfg.InsecureSkipVerify {
		t.Error("Insecure does not skip verification")
	}

	dir := t.TempDir()
	good := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(good, selfSigned(t), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = tlsconfig.Options{CAFile: good}.Client("")
	if err != nil || cfg.RootCAs == nil {
		t.Fatalf("CA bundle: %v, roots %v", err, cfg)
	}

	bad := filepath.Join(dir, "bad.pem")
	_ = os.WriteFile(bad, []byte("not a certificate"), 0o600)
	for _, f := range []string{bad, filepath.Join(dir, "missing.pem")} {
		if _, err := (tlsconfig.Options{CAFile: f}).Client(""); err == nil || !strings.Contains(err.Error(), "CA file") {
			t.Errorf("CA file %s: err = %v, want one naming the CA file", f, err)
		}
	}
}

func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
