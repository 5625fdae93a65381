// Package limits holds every bound a request can meet, in one place: sizes, counts, costs and
// times. The composition root reads them from INFRAHUB_* variables (the env tags below) and
// hands each component the Limits it was built with; components never invent bounds of their own.
// The README's "Limits" section lists them.
package limits

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/infrahub-go/infrahub/fault"
)

// Limits is every configurable bound. The zero value is not usable: start from Default.
type Limits struct {
	// HTTP server.
	ReadTimeout     time.Duration `env:"INFRAHUB_HTTP_READ_TIMEOUT" envDefault:"30s"`   // whole request read, body included
	WriteTimeout    time.Duration `env:"INFRAHUB_HTTP_WRITE_TIMEOUT" envDefault:"90s"`  // from the end of the headers to the end of the answer
	IdleTimeout     time.Duration `env:"INFRAHUB_HTTP_IDLE_TIMEOUT" envDefault:"120s"`  // a kept-alive connection with no request
	RequestTimeout  time.Duration `env:"INFRAHUB_REQUEST_TIMEOUT" envDefault:"60s"`     // the deadline of a handler's work
	ShutdownGrace   time.Duration `env:"INFRAHUB_SHUTDOWN_TIMEOUT" envDefault:"10s"`    // how long a stop waits for requests in flight
	MinPositionWait time.Duration `env:"INFRAHUB_MIN_POSITION_WAIT" envDefault:"10s"`   // how long a read waits for its min_position
	BodyBytes       int64         `env:"INFRAHUB_MAX_BODY_BYTES" envDefault:"33554432"` // a request body (commands, object files, schema loads)

	// GraphQL.
	QueryBytes    int `env:"INFRAHUB_GRAPHQL_MAX_QUERY_BYTES" envDefault:"1048576"` // a document's length
	QueryDepth    int `env:"INFRAHUB_GRAPHQL_MAX_DEPTH" envDefault:"30"`            // nesting of selections (real documents reach 19)
	QueryCost     int `env:"INFRAHUB_GRAPHQL_MAX_COST" envDefault:"20000"`          // selections with every fragment spread counted per use
	QueryAliases  int `env:"INFRAHUB_GRAPHQL_MAX_ALIASES" envDefault:"1000"`        // aliased fields in a document
	SchemaCache   int `env:"INFRAHUB_GRAPHQL_SCHEMA_CACHE" envDefault:"16"`         // built GraphQL schemas kept, by schema hash
	SearchResults int `env:"INFRAHUB_SEARCH_MAX_RESULTS" envDefault:"1000"`         // nodes one InfrahubSearchAnywhere answers

	// The JSON of one GraphQL answer, held in memory until it is sent.
	ResponseBytes int `env:"INFRAHUB_GRAPHQL_MAX_RESPONSE_BYTES" envDefault:"268435456"`

	// Data.
	ObjectsPerFile   int `env:"INFRAHUB_MAX_OBJECTS_PER_FILE" envDefault:"10000"`    // objects of one object file, ranges expanded, validate and load alike
	RangeExpansion   int `env:"INFRAHUB_MAX_RANGE_EXPANSION" envDefault:"10000"`     // values one expand_range string gives
	ObjectNesting    int `env:"INFRAHUB_MAX_OBJECT_NESTING" envDefault:"32"`         // levels of nested objects in an object file
	ValueBytes       int `env:"INFRAHUB_MAX_VALUE_BYTES" envDefault:"65536"`         // an attribute value (Text, Dropdown, ...)
	LargeValueBytes  int `env:"INFRAHUB_MAX_LARGE_VALUE_BYTES" envDefault:"1048576"` // a TextArea, JSON or List value
	DescriptionBytes int `env:"INFRAHUB_MAX_DESCRIPTION_BYTES" envDefault:"4096"`    // a description in a schema
	SchemaLoadBytes  int `env:"INFRAHUB_MAX_SCHEMA_BYTES" envDefault:"16777216"`     // the schema documents of one load
	SchemaKinds      int `env:"INFRAHUB_MAX_SCHEMA_KINDS" envDefault:"5000"`         // nodes and generics of one branch's schema

	// Object storage: one stored object (an artifact's content, an uploaded file).
	StorageObjectBytes int64 `env:"INFRAHUB_STORAGE_MAX_BYTES" envDefault:"52428800"`

	// Tasks.
	TaskAttempts   int           `env:"INFRAHUB_TASK_MAX_ATTEMPTS" envDefault:"3"`      // runs of a failing task before it fails (and is dead-lettered)
	TaskRetryDelay time.Duration `env:"INFRAHUB_TASK_RETRY_MAX_DELAY" envDefault:"30s"` // the longest wait before a failed run is tried again (doubling from 100 ms)
	TaskLogLines   int           `env:"INFRAHUB_TASK_MAX_LOG_LINES" envDefault:"1000"`  // log lines kept per task (later lines are counted, not kept)
	TaskPage       int           `env:"INFRAHUB_TASK_MAX_PAGE" envDefault:"1000"`       // tasks, or log lines of a task, one InfrahubTask page answers
	TaskTimeout    time.Duration `env:"INFRAHUB_TASK_TIMEOUT" envDefault:"30m"`         // one run of a task (Infrahub's maximum validator execution time is 30 min)

	// Events.
	EventPage int `env:"INFRAHUB_EVENT_MAX_PAGE" envDefault:"1000"` // events one InfrahubEvent page answers

	// Logins: failed attempts allowed per account and per client address within LoginWindow;
	// beyond them a login is refused with 429 until the window has passed.
	LoginFailuresPerAccount int           `env:"INFRAHUB_LOGIN_MAX_FAILURES_PER_ACCOUNT" envDefault:"10"`
	LoginFailuresPerAddress int           `env:"INFRAHUB_LOGIN_MAX_FAILURES_PER_ADDRESS" envDefault:"50"`
	LoginWindow             time.Duration `env:"INFRAHUB_LOGIN_FAILURE_WINDOW" envDefault:"5m"`

	// Subscriptions (GraphQL over WebSocket, the SSE event stream).
	SubscriptionsPerConnection int           `env:"INFRAHUB_SUBSCRIPTIONS_PER_CONNECTION" envDefault:"100"`       // operations running at once on one WebSocket
	Subscriptions              int           `env:"INFRAHUB_SUBSCRIPTIONS_MAX" envDefault:"10000"`                // operations and SSE streams running at once on this server
	SubscriptionMessageBytes   int64         `env:"INFRAHUB_SUBSCRIPTION_MAX_MESSAGE_BYTES" envDefault:"1114112"` // one message a client sends (a document and its variables)
	SubscriptionKeepalive      time.Duration `env:"INFRAHUB_SUBSCRIPTION_KEEPALIVE" envDefault:"15s"`             // between the server's pings (ka, SSE comments)
	SubscriptionIdleTimeout    time.Duration `env:"INFRAHUB_SUBSCRIPTION_IDLE_TIMEOUT" envDefault:"60s"`          // a WebSocket from which nothing (not even a pong) is read
	SubscriptionInitTimeout    time.Duration `env:"INFRAHUB_SUBSCRIPTION_INIT_TIMEOUT" envDefault:"10s"`          // from the upgrade to connection_init
}

// Default answers the limits with every default value.
func Default() Limits {
	return Limits{
		ReadTimeout: 30 * time.Second, WriteTimeout: 90 * time.Second, IdleTimeout: 120 * time.Second,
		RequestTimeout: 60 * time.Second, ShutdownGrace: 10 * time.Second, MinPositionWait: 10 * time.Second,
		BodyBytes:  32 << 20,
		QueryBytes: 1 << 20, QueryDepth: 30, QueryCost: 20_000, QueryAliases: 1_000, SchemaCache: 16,
		SearchResults:  1_000,
		ObjectsPerFile: 10_000, RangeExpansion: 10_000, ObjectNesting: 32,
		ValueBytes: 64 << 10, LargeValueBytes: 1 << 20, DescriptionBytes: 4096,
		SchemaLoadBytes: 16 << 20, SchemaKinds: 5_000, ResponseBytes: 256 << 20, StorageObjectBytes: 50 << 20,
		LoginFailuresPerAccount: 10, LoginFailuresPerAddress: 50, LoginWindow: 5 * time.Minute,
		TaskAttempts: 3, TaskRetryDelay: 30 * time.Second, TaskLogLines: 1_000, TaskPage: 1_000, TaskTimeout: 30 * time.Minute,
		SubscriptionsPerConnection: 100, Subscriptions: 10_000, SubscriptionMessageBytes: 1<<20 + 64<<10,
		SubscriptionKeepalive: 15 * time.Second, SubscriptionIdleTimeout: 60 * time.Second, SubscriptionInitTimeout: 10 * time.Second,
		EventPage: 1_000,
	}
}

// Validate refuses a bound that is zero or negative, naming it.
func (l Limits) Validate() error {
	var errs []error
	pos := func(name string, v int64) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("limits: %s must be positive, got %d", name, v))
		}
	}
	for name, d := range map[string]time.Duration{"ReadTimeout": l.ReadTimeout, "WriteTimeout": l.WriteTimeout,
		"IdleTimeout": l.IdleTimeout, "RequestTimeout": l.RequestTimeout, "ShutdownGrace": l.ShutdownGrace,
		"MinPositionWait": l.MinPositionWait, "LoginWindow": l.LoginWindow,
		"TaskRetryDelay": l.TaskRetryDelay, "TaskTimeout": l.TaskTimeout,
		"SubscriptionKeepalive": l.SubscriptionKeepalive, "SubscriptionIdleTimeout": l.SubscriptionIdleTimeout,
		"SubscriptionInitTimeout": l.SubscriptionInitTimeout} {
		pos(name, int64(d))
	}
	for name, v := range map[string]int64{"BodyBytes": l.BodyBytes, "QueryBytes": int64(l.QueryBytes),
		"QueryDepth": int64(l.QueryDepth), "QueryCost": int64(l.QueryCost), "QueryAliases": int64(l.QueryAliases),
		"SchemaCache": int64(l.SchemaCache), "SearchResults": int64(l.SearchResults), "ResponseBytes": int64(l.ResponseBytes),
		"ObjectsPerFile": int64(l.ObjectsPerFile), "RangeExpansion": int64(l.RangeExpansion),
		"ObjectNesting": int64(l.ObjectNesting), "ValueBytes": int64(l.ValueBytes),
		"LargeValueBytes": int64(l.LargeValueBytes), "DescriptionBytes": int64(l.DescriptionBytes),
		"SchemaLoadBytes": int64(l.SchemaLoadBytes), "SchemaKinds": int64(l.SchemaKinds),
		"StorageObjectBytes":      l.StorageObjectBytes,
		"LoginFailuresPerAccount": int64(l.LoginFailuresPerAccount), "LoginFailuresPerAddress": int64(l.LoginFailuresPerAddress),
		"TaskAttempts": int64(l.TaskAttempts), "TaskLogLines": int64(l.TaskLogLines), "TaskPage": int64(l.TaskPage),
		"SubscriptionsPerConnection": int64(l.SubscriptionsPerConnection), "Subscriptions": int64(l.Subscriptions),
		"SubscriptionMessageBytes": l.SubscriptionMessageBytes, "EventPage": int64(l.EventPage)} {
		pos(name, v)
	}
	return errors.Join(errs...)
}

// ErrExceeded is the error of every limit met; its messages name the limit and its setting.
var ErrExceeded = fault.Coded(fault.ErrTooLarge, "limit exceeded", "limit_exceeded", "")

// Exceeded answers an ErrExceeded naming what was measured, the bound and the variable that sets it.
func Exceeded(what string, got, bound int64, setting string) error {
	return fmt.Errorf("%w: %s is %d, at most %d (%s)", ErrExceeded, what, got, bound, setting)
}

// Setting answers the variable that sets the field of Limits named field (its env tag), for
// messages: Setting("ObjectsPerFile") is "INFRAHUB_MAX_OBJECTS_PER_FILE".
func Setting(field string) string {
	f, ok := reflect.TypeOf(Limits{}).FieldByName(field)
	if !ok {
		return field
	}
	return f.Tag.Get("env")
}
