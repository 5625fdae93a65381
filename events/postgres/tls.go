package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/infrahub-go/infrahub/tlsconfig"
)

// applyTLS makes every connection of cc (and its fallbacks) use TLS with the given options.
func applyTLS(o tlsconfig.Options, cc *pgx.ConnConfig) error {
	if !o.Enabled {
		return nil
	}
	cfg, err := o.Client(cc.Host)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	cc.TLSConfig = cfg
	for _, fb := range cc.Fallbacks {
		fb.TLSConfig = cfg
	}
	return nil
}
