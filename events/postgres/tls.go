package postgres

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"
)

// TLSConfig is the INFRAHUB_DB_TLS_* settings.
type TLSConfig struct {
	Enabled  bool
	CAFile   string
	Insecure bool
}

func (t *TLSConfig) apply(cc *pgx.ConnConfig) error {
	if !t.Enabled {
		return nil
	}
	cfg := &tls.Config{ServerName: cc.Host, InsecureSkipVerify: t.Insecure} //nolint:gosec // opt-in
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return fmt.Errorf("postgres: TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("postgres: TLS CA file %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	cc.TLSConfig = cfg
	for _, fb := range cc.Fallbacks {
		fb.TLSConfig = cfg
	}
	return nil
}
