package redact_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/redact"
)

const secret = "hunter2"

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://infrahub:hunter2@db:5432/infrahub?sslmode=disable", "postgres://infrahub:xxxxx@db:5432/infrahub?sslmode=disable"},
		{"postgres://infrahub@db:5432/infrahub?sslmode=disable&password=hunter2", "postgres://infrahub@db:5432/infrahub?sslmode=disable&password=xxxxx"},
		{"postgres://db/x?sslpassword=hunter2&application_name=a", "postgres://db/x?sslpassword=xxxxx&application_name=a"},
		{"redis://:hunter2@cache:6379/0", "redis://:xxxxx@cache:6379/0"},
		{"s3://bucket?endpoint=http://minio:9000&access_key_id=AK&secret_access_key=hunter2", "s3://bucket?endpoint=http://minio:9000&access_key_id=xxxxx&secret_access_key=xxxxx"},
		{"amqp://guest@mq:5672/", "amqp://guest@mq:5672/"},
		{"mem://", "mem://"},
		{"sqlite://./data/events.db", "sqlite://./data/events.db"},
		// Malformed: never echoed whole.
		{"postgres://u:hunter2@db:5432/x?sslmode=disable%zz", "postgres://u:xxxxx@db:5432/x?sslmode=disable%zz"},
		{"postgres://u:hunter2@db:port/x", "postgres://u:xxxxx@db:port/x"},
		{"postgres://u@db/x?%zz&password=hunter2", "postgres://u@db/x?%zz&password=xxxxx"},
		{"postgres://u:hun@ter2@db/x", "postgres://u:xxxxx@db/x"},
		{"postgres://u:hunter2@[::1/x", "postgres://u:xxxxx@[::1/x"},
		{"postgres://db/x?Password=hunter2", "postgres://db/x?Password=xxxxx"},
		{"postgres://db/x?pass%77ord=hunter2", "postgres://db/x?pass%77ord=xxxxx"},
	} {
		got := redact.URL(tc.in)
		if got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "hunter2") || strings.Contains(got, "hun@ter2") {
			t.Errorf("URL(%q) leaks the secret: %q", tc.in, got)
		}
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`parse "postgres://u:hunter2@db/x%zz": invalid URL escape "%zz"`, `parse "postgres://u:xxxxx@db/x%zz": invalid URL escape "%zz"`},
		{"cannot parse `host=db user=u password=hunter2 dbname=x`: bad", "cannot parse `host=db user=u password=xxxxx dbname=x`: bad"},
		{"host=db password='hunter 2' dbname=x", "host=db password=xxxxx dbname=x"},
		{`body {"user":"u","password":"hunter2"}`, `body {"user":"u","password":"xxxxx"}`},
		{"token=hunter2&page=2", "token=xxxxx&page=2"},
		{"primary key missing; monkey business", "primary key missing; monkey business"},
		{"the lock infrahub:lock:pools is held", "the lock infrahub:lock:pools is held"},
		{"dial tcp 127.0.0.1:5672: connect: connection refused", "dial tcp 127.0.0.1:5672: connect: connection refused"},
	} {
		if got := redact.String(tc.in); got != tc.want {
			t.Errorf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

var errKind = errors.New("kind")

func TestError(t *testing.T) {
	inner := fmt.Errorf("%w: open postgres://u:%s@db/x?password=%s", errKind, secret, secret)
	err := redact.Error(fmt.Errorf("event log: %w", inner))
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error leaks: %v", err)
	}
	if !errors.Is(err, errKind) {
		t.Fatal("errors.Is lost the kind")
	}
	if redact.Error(err) != err {
		t.Fatal("redacting twice wraps twice")
	}
	if redact.Error(nil) != nil {
		t.Fatal("nil is not nil")
	}
}

type stringer struct{}

func (stringer) String() string { return "amqp://guest:" + secret + "@mq/" }

func TestHandler(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		var h slog.Handler = slog.NewTextHandler(&buf, nil)
		if format == "json" {
			h = slog.NewJSONHandler(&buf, nil)
		}
		log := slog.New(redact.Handler(h)).With("url", "postgres://u:"+secret+"@db/x")
		log.WithGroup("g").Info("connecting to redis://:"+secret+"@cache/0",
			"err", fmt.Errorf("dial postgres://db/x?password=%s: refused", secret),
			"password", secret,
			"target", stringer{},
			slog.Group("nested", "dsn", "host=db password="+secret),
			"count", 3)
		out := buf.String()
		if strings.Contains(out, secret) {
			t.Errorf("%s log leaks the secret:\n%s", format, out)
		}
		for _, want := range []string{"xxxxx", "count", "3", "nested"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s log lost %q:\n%s", format, want, out)
			}
		}
	}
}
