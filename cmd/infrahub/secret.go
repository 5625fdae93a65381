package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// secretKey answers the key that signs login tokens: INFRAHUB_SECURITY_SECRET_KEY, else, in
// embedded mode (a SQLite log), the key kept in <data>/secret_key (created with mode 0600 at the
// first start), else a key of this process only (its tokens are not valid on other servers).
func secretKey(cfg Config, log *slog.Logger) ([]byte, error) {
	if cfg.SecretKey != "" {
		return []byte(cfg.SecretKey), nil
	}
	if !strings.HasPrefix(cfg.EventsURL, "sqlite:") {
		log.Warn("INFRAHUB_SECURITY_SECRET_KEY is not set: login tokens are signed with a key of this process only; set it when several servers share a log")
		return randomKey()
	}
	path := filepath.Join(cfg.DataDir, "secret_key")
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if k := strings.TrimSpace(string(b)); len(k) >= 16 {
			return []byte(k), nil
		}
		return nil, fmt.Errorf("INFRAHUB_SECURITY_SECRET_KEY: %s is shorter than 16 characters", path)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("INFRAHUB_SECURITY_SECRET_KEY: reading %s: %w", path, err)
	}
	key, err := randomKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("INFRAHUB_SECURITY_SECRET_KEY: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process wrote it first
		return secretKey(cfg, log)
	}
	if err != nil {
		return nil, fmt.Errorf("INFRAHUB_SECURITY_SECRET_KEY: creating %s: %w", path, err)
	}
	_, err = f.Write(key)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("INFRAHUB_SECURITY_SECRET_KEY: writing %s: %w", path, err)
	}
	log.Info("generated the key of login tokens", "file", path)
	return key, nil
}

func randomKey() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return []byte(hex.EncodeToString(b)), nil
}
