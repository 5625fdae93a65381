package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/redact"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
)

// maxExcerpt bounds the response body kept in the task log.
const maxExcerpt = 512

// Delivery is what a webhook-process task answers.
type Delivery struct {
	Status int    `json:"status"`
	URL    string `json:"url"` // redacted
}

// run is the webhook-process workflow: read the webhook as it is now, build Infrahub's payload
// ({"data", "id", "branch", "account_id", "occured_at", "event"}), post it with its headers
// (Accept, Content-Type, the custom headers, and when the webhook has a shared key the Standard
// Webhooks headers webhook-id, webhook-timestamp, webhook-signature), and answer the status. A
// network error or a status other than 2xx is retried by the pool; a webhook gone, a URL that
// is not http(s), or a transform that cannot run here fails the task at once.
func (w *Webhooks) run(ctx context.Context, r *workers.Run) (json.RawMessage, error) {
	var p commands.WebhookProcess
	if err := json.Unmarshal(r.Task.Parameters, &p); err != nil {
		return nil, fmt.Errorf("%w: parameters: %w", task.ErrInvalid, err)
	}
	scope := graph.Scope{Branch: w.cfg.Default}
	n, err := w.cfg.Graph.Get(ctx, scope, p.WebhookID)
	if err != nil {
		return nil, fmt.Errorf("webhook %s: %w", p.WebhookID, err)
	}
	if !flag(n, "active", true) {
		r.Log(task.SeverityInfo, fmt.Sprintf("webhook %s is not active: nothing sent", n.Text("name")))
		return json.Marshal(Delivery{})
	}
	raw := n.Text("url")
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: webhook %s: url %q is not an http or https URL", fault.ErrInvalid, n.Text("name"), redact.URL(raw))
	}
	shown := redact.URL(raw)

	var data any = map[string]any{}
	var ectx struct {
		Branch  struct{ Name string } `json:"branch"`
		Account struct {
			AccountID string `json:"account_id"`
		} `json:"account"`
	}
	if len(p.EventPayload) > 0 {
		var ep struct {
			Data    json.RawMessage `json:"data"`
			Context json.RawMessage `json:"context"`
		}
		if err := json.Unmarshal(p.EventPayload, &ep); err != nil {
			return nil, fmt.Errorf("%w: event_payload: %w", task.ErrInvalid, err)
		}
		if len(ep.Data) > 0 {
			_ = json.Unmarshal(ep.Data, &data)
		}
		if len(ep.Context) > 0 {
			_ = json.Unmarshal(ep.Context, &ectx)
		}
	}
	branchName := orNil(ectx.Branch.Name)
	if branchName == nil {
		branchName = orNil(p.BranchName)
	}
	payload := map[string]any{"data": data, "id": p.EventID, "branch": branchName,
		"account_id": orNil(ectx.Account.AccountID), "occured_at": p.EventOccuredAt, "event": p.EventType}

	body, err := w.body(ctx, n, payload, p.BranchName)
	if err != nil {
		return nil, err
	}
	headers, names, err := w.headers(ctx, r, n, scope)
	if err != nil {
		return nil, err
	}
	if key := n.Text("shared_key"); key != "" {
		// The message id is the same on every attempt (receivers deduplicate on it).
		id := "msg_" + task.DerivedID(r.Task.ID)
		ts := strconv.FormatInt(w.cfg.Now().Unix(), 10)
		headers.Set("webhook-id", id)
		headers.Set("webhook-timestamp", ts)
		headers.Set("webhook-signature", Sign(key, id, ts, body))
		names = append(names, "webhook-id="+id, "webhook-timestamp="+ts, "webhook-signature")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: webhook %s: %v", fault.ErrInvalid, n.Text("name"), redact.Error(err))
	}
	req.Header = headers
	r.Log(task.SeverityInfo, fmt.Sprintf("POST %s (attempt %d) headers: %s; %d bytes", shown, r.Attempt(), strings.Join(names, ", "), len(body)))
	resp, err := w.client(n).Do(req)
	if err != nil {
		err = redact.Error(err)
		r.Log(task.SeverityWarning, fmt.Sprintf("POST %s failed: %v", shown, err))
		return nil, fmt.Errorf("webhook %s: POST %s: %w", n.Text("name"), shown, err)
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxExcerpt+1))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	ex := string(excerpt)
	if len(excerpt) > maxExcerpt {
		ex = string(excerpt[:maxExcerpt]) + "…"
	}
	ex = redact.String(ex)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.Log(task.SeverityWarning, fmt.Sprintf("POST %s answered %d: %s", shown, resp.StatusCode, ex))
		return nil, fmt.Errorf("webhook %s: POST %s answered %d", n.Text("name"), shown, resp.StatusCode)
	}
	r.Log(task.SeverityInfo, fmt.Sprintf("POST %s answered %d: %s", shown, resp.StatusCode, ex))
	return json.Marshal(Delivery{Status: resp.StatusCode, URL: shown})
}

// Sign is the Standard Webhooks signature of body: "v1," and the base64 of the HMAC-SHA256 of
// "id.timestamp.body" keyed with the shared key's bytes, as Infrahub signs
// (backend/infrahub/webhook/models.py: the key is used as given, not decoded).
func Sign(key, id, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(id + "." + timestamp + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// body is the request body: the payload as compact JSON, or for a CoreCustomWebhook with a
// transformation what the transform makes of it.
func (w *Webhooks) body(ctx context.Context, n graph.Node, payload map[string]any, branchName string) ([]byte, error) {
	if n.Kind == KindCustomWebhook {
		m, err := w.cfg.Graph.Peers(ctx, graph.Scope{Branch: w.cfg.Default}, []string{n.ID}, n.Kind, "transformation")
		if err != nil {
			return nil, fmt.Errorf("webhook %s: transformation: %w", n.Text("name"), err)
		}
		if es := m[n.ID]; len(es) > 0 {
			tr := es[0]
			switch {
			case tr.PeerKind == KindTransformJinja2 && w.cfg.Render != nil:
				out, err := w.cfg.Render(ctx, branchName, tr.Peer, payload)
				if err != nil {
					return nil, fmt.Errorf("%w: webhook %s: transform %s: %w", fault.ErrInvalid, n.Text("name"), tr.Peer, err)
				}
				return []byte(out), nil
			case tr.PeerKind == KindTransformJinja2:
				return nil, fmt.Errorf("%w: webhook %s: Jinja2 transforms cannot run in this worker", fault.ErrInvalid, n.Text("name"))
			default:
				return nil, fmt.Errorf("%w: webhook %s: its transformation is a %s: Python transforms cannot run here",
					fault.ErrInvalid, n.Text("name"), tr.PeerKind)
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(payload); err != nil {
		return nil, fmt.Errorf("webhook %s: payload: %w", n.Text("name"), err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// headers are Accept, Content-Type and the webhook's custom headers (CoreStaticKeyValue: key and
// value; CoreEnvKeyValue: key and the worker's environment variable named by value, skipped
// with a warning when unset — Infrahub's WebhookHeader.resolve), and their names for the log.
func (w *Webhooks) headers(ctx context.Context, r *workers.Run, n graph.Node, scope graph.Scope) (http.Header, []string, error) {
	h := http.Header{}
	h.Set("Accept", "application/json")
	h.Set("Content-Type", "application/json")
	names := []string{"Accept", "Content-Type"}
	m, err := w.cfg.Graph.Peers(ctx, scope, []string{n.ID}, n.Kind, "headers")
	if err != nil {
		return nil, nil, fmt.Errorf("webhook %s: headers: %w", n.Text("name"), err)
	}
	edges := m[n.ID]
	sort.Slice(edges, func(i, j int) bool { return edges[i].Peer < edges[j].Peer })
	for _, e := range edges {
		kv, err := w.cfg.Graph.Get(ctx, scope, e.Peer)
		if err != nil {
			if errors.Is(err, fault.ErrNotFound) {
				continue
			}
			return nil, nil, fmt.Errorf("webhook %s: header %s: %w", n.Text("name"), e.Peer, err)
		}
		key, value := kv.Text("key"), kv.Text("value")
		if key == "" {
			continue
		}
		switch kv.Kind {
		case KindEnvKeyValue:
			v, ok := w.cfg.Getenv(value)
			if !ok {
				r.Log(task.SeverityWarning, fmt.Sprintf("environment variable %q not found, skipping header %q", value, key))
				continue
			}
			h.Set(key, v)
			names = append(names, key+" (from $"+value+")")
		default:
			h.Set(key, value)
			names = append(names, key)
		}
	}
	return h, names, nil
}

// client is the HTTP client of a webhook: its timeout, no redirects followed (a 3xx is an
// answer to retry), certificates validated unless validate_certificates is false (unset
// validates: safer than Infrahub, which then does not).
func (w *Webhooks) client(n graph.Node) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true // one client per delivery: no idle connection left behind
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: w.cfg.RootCAs,
		InsecureSkipVerify: !flag(n, "validate_certificates", true)} //nolint:gosec // the webhook's own switch
	return &http.Client{Transport: tr, Timeout: w.cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}
