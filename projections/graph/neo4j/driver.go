package neo4j

import (
	"context"
	"crypto/tls"
	"fmt"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"

	"github.com/infrahub-go/infrahub/fault"
)

// DB is the connection settings of a Neo4j database, as Infrahub names them (INFRAHUB_DB_*).
type DB struct {
	Protocol string // bolt or neo4j (INFRAHUB_DB_PROTOCOL)
	Address  string // host (INFRAHUB_DB_ADDRESS)
	Port     int    // INFRAHUB_DB_PORT
	Username string // INFRAHUB_DB_USERNAME
	Password string // INFRAHUB_DB_PASSWORD; never logged
	Database string // INFRAHUB_DB_DATABASE
	TLS      bool   // INFRAHUB_DB_TLS_ENABLED: bolt+s / neo4j+s
	// TLSInsecure skips the certificate check (INFRAHUB_DB_TLS_INSECURE: bolt+ssc / neo4j+ssc).
	TLSInsecure bool
	// TLSConfig, when set, is the driver's TLS configuration (the CAs of INFRAHUB_DB_TLS_CA_FILE);
	// used only with TLS. The driver derives the server name and InsecureSkipVerify from the URI.
	TLSConfig *tls.Config
}

// URI is the driver's URI of db (without credentials).
func (db DB) URI() (string, error) {
	if db.Protocol != "bolt" && db.Protocol != "neo4j" {
		return "", fmt.Errorf("%w: INFRAHUB_DB_PROTOCOL %q: want bolt or neo4j", fault.ErrInvalid, db.Protocol)
	}
	if db.Address == "" || db.Port <= 0 || db.Port > 65535 {
		return "", fmt.Errorf("%w: INFRAHUB_DB_ADDRESS %q and INFRAHUB_DB_PORT %d: want a host and a port", fault.ErrInvalid, db.Address, db.Port)
	}
	scheme := db.Protocol
	switch {
	case db.TLS && db.TLSInsecure:
		scheme += "+ssc"
	case db.TLS:
		scheme += "+s"
	}
	return fmt.Sprintf("%s://%s:%d", scheme, db.Address, db.Port), nil
}

// Open connects to db and checks the connection. The returned Conn's Close ends the driver.
func Open(ctx context.Context, db DB) (*DriverConn, error) {
	uri, err := db.URI()
	if err != nil {
		return nil, err
	}
	d, err := driver.NewDriverWithContext(uri, driver.BasicAuth(db.Username, db.Password, ""), func(c *config.Config) {
		if db.TLS && db.TLSConfig != nil {
			c.TlsConfig = db.TLSConfig
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: neo4j %s: %w", fault.ErrInvalid, uri, err)
	}
	if err := d.VerifyConnectivity(ctx); err != nil {
		_ = d.Close(ctx)
		return nil, fmt.Errorf("%w: neo4j %s: %w", fault.ErrUnavailable, uri, err)
	}
	return &DriverConn{Driver: d, Database: db.Database}, nil
}

// IsRetryable is the driver's test of a transient error, for Config.Retryable.
func IsRetryable(err error) bool { return driver.IsRetryable(err) }

// DriverConn is a Conn over the official driver.
type DriverConn struct {
	Driver   driver.DriverWithContext
	Database string
}

// Close ends the driver.
func (c *DriverConn) Close(ctx context.Context) error { return c.Driver.Close(ctx) }

func (c *DriverConn) session(ctx context.Context) driver.SessionWithContext {
	return c.Driver.NewSession(ctx, driver.SessionConfig{AccessMode: driver.AccessModeWrite, DatabaseName: c.Database})
}

// BeginWrite implements Conn.
func (c *DriverConn) BeginWrite(ctx context.Context) (Tx, error) {
	s := c.session(ctx)
	tx, err := s.BeginTransaction(ctx)
	if err != nil {
		_ = s.Close(ctx)
		return nil, err
	}
	return &driverTx{s: s, tx: tx}, nil
}

// Exec implements Conn: an auto-commit statement.
func (c *DriverConn) Exec(ctx context.Context, cypher string, params map[string]any) error {
	s := c.session(ctx)
	defer s.Close(ctx)
	res, err := s.Run(ctx, cypher, params)
	if err != nil {
		return err
	}
	_, err = res.Consume(ctx)
	return err
}

type driverTx struct {
	s  driver.SessionWithContext
	tx driver.ExplicitTransaction
}

func (t *driverTx) Run(ctx context.Context, cypher string, params map[string]any) ([]map[string]any, error) {
	res, err := t.tx.Run(ctx, cypher, params)
	if err != nil {
		return nil, err
	}
	recs, err := res.Collect(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(recs))
	for i, r := range recs {
		out[i] = r.AsMap()
	}
	return out, nil
}

func (t *driverTx) Commit(ctx context.Context) error {
	defer t.s.Close(ctx)
	return t.tx.Commit(ctx)
}

func (t *driverTx) Rollback(ctx context.Context) error {
	defer t.s.Close(ctx)
	return t.tx.Rollback(ctx)
}
