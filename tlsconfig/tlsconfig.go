// Package tlsconfig builds the client TLS configuration of every connection to a dependency
// (PostgreSQL, RabbitMQ, Redis): TLS 1.2 at least, the certificate authorities of a PEM bundle
// or the system's, and verification skipped only when asked.
package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// Options are the INFRAHUB_{DB,BROKER,CACHE}_TLS_* settings of one dependency.
type Options struct {
	Enabled  bool
	CAFile   string // PEM bundle of the CAs that may sign the server's certificate; system pool when empty
	Insecure bool   // skip verification of the server's certificate
}

// Client builds the client configuration for a server; serverName, when set, is the name its
// certificate must carry (empty: the driver sets it from the address it dials).
func (o Options) Client(serverName string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName, InsecureSkipVerify: o.Insecure} //nolint:gosec // opt-in
	if o.CAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(o.CAFile)
	if err != nil {
		return nil, fmt.Errorf("TLS CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("TLS CA file %s: no PEM certificate found", o.CAFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// Server builds the configuration of the HTTP server from a PEM certificate chain and its key:
// TLS 1.2 at least. The files are read once, at start; a file that cannot be read or a key that
// does not match is an error naming the file.
func Server(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s with key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}
