package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeServerCert writes a self-signed certificate for 127.0.0.1 and its key; it answers their
// paths and a pool that trusts the certificate.
func writeServerCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "infrahub test"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// With INFRAHUB_TLS_CERT_FILE and INFRAHUB_TLS_KEY_FILE the server answers HTTPS (TLS 1.2 at
// least) and nothing in clear; one of the two alone, or a key that does not match, stops the
// start with an error naming the variables.
func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := writeServerCert(t)
	addr := freeAddr(t)
	cmd := exec.Command(binary, "serve", "--listen", addr)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "INFRAHUB_DATA=" + t.TempDir(),
		"INFRAHUB_TLS_CERT_FILE=" + certFile, "INFRAHUB_TLS_KEY_FILE=" + keyFile}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	secure := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	var status int
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := secure.Get("https://" + addr + "/health"); err == nil {
			status = resp.StatusCode
			resp.Body.Close()
			if status == http.StatusOK {
				break
			}
		}
	}
	if status != http.StatusOK {
		t.Fatalf("no 200 over HTTPS: %d", status)
	}
	if resp, err := http.Get("http://" + addr + "/health"); err == nil && resp.StatusCode == http.StatusOK {
		t.Fatal("the TLS server answered in clear")
	}
	old := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get("https://" + addr + "/health"); err == nil {
		t.Fatal("TLS 1.1 was accepted")
	}

	_, otherKey, _ := writeServerCert(t)
	for name, env := range map[string]map[string]string{
		"cert alone":        {"INFRAHUB_TLS_CERT_FILE": certFile},
		"key of another":    {"INFRAHUB_TLS_CERT_FILE": certFile, "INFRAHUB_TLS_KEY_FILE": otherKey},
		"missing cert file": {"INFRAHUB_TLS_CERT_FILE": filepath.Join(t.TempDir(), "none.pem"), "INFRAHUB_TLS_KEY_FILE": keyFile},
	} {
		env["INFRAHUB_DATA"] = t.TempDir()
		out, err := runCLI(t, env, "serve", "--listen", freeAddr(t))
		if err == nil || !strings.Contains(err.Error(), "INFRAHUB_TLS_") {
			t.Errorf("%s: %v\n%s", name, err, out)
		}
	}
}
