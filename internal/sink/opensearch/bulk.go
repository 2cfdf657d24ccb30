package opensearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// entry is an item ready to send: its action line and its document, each
// without the newline.
type entry struct {
	id     string
	index  string
	action []byte
	doc    []byte
}

func (e entry) size() int { return len(e.action) + len(e.doc) + 2 }

// maxIDBytes is OpenSearch's limit on a document _id (since 2.9; also
// Elasticsearch's).
const maxIDBytes = 512

// dayLayout names daily indices as Wazuh's Filebeat pipeline does.
const dayLayout = "2006.01.02"

// prepare builds the entries for items, and the errors of those that
// cannot be sent: no id, no time, or a Doc that is not one JSON object.
// A bad document is caught here because one broken line in a _bulk body
// can make the server reject the whole request.
func prepare(prefix string, items []Item) ([]entry, []ItemError) {
	entries := make([]entry, 0, len(items))
	var bad []ItemError
	for _, it := range items {
		index := prefix + it.Time.UTC().Format(dayLayout)
		doc, err := checkDoc(it)
		if err != nil {
			bad = append(bad, ItemError{AlertID: it.AlertID, Index: index, Reason: err.Error()})
			continue
		}
		entries = append(entries, entry{id: it.AlertID, index: index, action: actionLine(index, it.AlertID), doc: doc})
	}
	return entries, bad
}

// checkDoc returns it.Doc without surrounding whitespace (the alerts.json
// newline), compacted if it spans lines.
func checkDoc(it Item) ([]byte, error) {
	switch {
	case it.AlertID == "":
		return nil, errors.New("no alert id")
	case len(it.AlertID) > maxIDBytes:
		return nil, fmt.Errorf("alert id is %d bytes, over the %d allowed", len(it.AlertID), maxIDBytes)
	case !utf8.ValidString(it.AlertID):
		// JSON would turn the bad bytes into U+FFFD: another _id.
		return nil, errors.New("alert id is not UTF-8")
	case it.Time.IsZero():
		return nil, errors.New("no alert time")
	}
	doc := bytes.TrimSpace(it.Doc)
	if len(doc) == 0 || doc[0] != '{' || !json.Valid(doc) {
		return nil, errors.New("document is not a JSON object")
	}
	if bytes.IndexByte(doc, '\n') >= 0 {
		var b bytes.Buffer
		if err := json.Compact(&b, doc); err != nil {
			return nil, fmt.Errorf("compact document: %w", err)
		}
		doc = b.Bytes()
	}
	return doc, nil
}

func actionLine(index, id string) []byte {
	type meta struct {
		Index string `json:"_index"`
		ID    string `json:"_id"`
	}
	b, _ := json.Marshal(struct {
		Index meta `json:"index"`
	}{meta{index, id}}) // strings only: cannot fail
	return b
}

// chunk splits entries into runs whose bodies stay within limit bytes; an
// entry larger than limit is a run of its own.
func chunk(entries []entry, limit int) [][]entry {
	var out [][]entry
	start, size := 0, 0
	for i, e := range entries {
		if i > start && size+e.size() > limit {
			out = append(out, entries[start:i])
			start, size = i, 0
		}
		size += e.size()
	}
	if start < len(entries) {
		out = append(out, entries[start:])
	}
	return out
}

// body is the NDJSON _bulk body for entries, ending in a newline.
func body(entries []entry) []byte {
	n := 0
	for _, e := range entries {
		n += e.size()
	}
	b := make([]byte, 0, n)
	for _, e := range entries {
		b = append(b, e.action...)
		b = append(b, '\n')
		b = append(b, e.doc...)
		b = append(b, '\n')
	}
	return b
}

// outcome sorts the items of one bulk response.
type outcome struct {
	sent     []entry
	retry    []entry     // rejected with 408, 429 or 5xx: worth sending again
	rejected []ItemError // rejected for the document's sake
	cause    string      // one transient item error, for the log
}

var ndjsonHeader = http.Header{"Content-Type": {"application/x-ndjson"}}

// bulk sends entries in one _bulk request and sorts the response's items.
// Its error wraps source.ErrTransient when sending again may help.
func (o *Output) bulk(ctx context.Context, entries []entry) (outcome, error) {
	rctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	o.requests.Add(1)
	resp, err := o.client.Bulk(rctx, opensearchapi.BulkReq{
		Body:   bytes.NewReader(body(entries)),
		Header: ndjsonHeader.Clone(),
		Params: opensearchapi.BulkParams{Pipeline: o.cfg.Pipeline},
	})
	if err != nil {
		return outcome{}, fmt.Errorf("bulk request: %w", classify(ctx, statusOf(resp.Inspect()), err))
	}
	out, err := sortItems(entries, resp)
	o.indexed.Add(int64(len(out.sent) - len(out.retry) - len(out.rejected)))
	return out, err
}

// sortItems matches the response's items to the entries sent (the
// server answers in request order) and sorts them into indexed, worth
// retrying, and rejected. Items refused for reasons that are not the
// document's (401, 403, 404: credentials, permissions, a missing index
// with auto-creation off) make it return an error, as every other alert
// would fail the same way.
func sortItems(sent []entry, resp *opensearchapi.BulkResp) (outcome, error) {
	out := outcome{sent: sent}
	if len(resp.Items) != len(sent) {
		return outcome{sent: sent, retry: sent}, fmt.Errorf("bulk response has %d items for %d actions", len(resp.Items), len(sent))
	}
	// Each item is checked even when resp.Errors is false: a document
	// lost silently is the worst outcome, and the flag costs nothing to
	// distrust.
	var fatal error
	for i, m := range resp.Items {
		it, ok := m["index"]
		if !ok || len(m) != 1 {
			return outcome{sent: sent, retry: sent}, fmt.Errorf("bulk response item %d is not an index result", i+1)
		}
		e := sent[i]
		if it.ID != e.id {
			return outcome{sent: sent, retry: sent}, fmt.Errorf("bulk response item %d is for _id %q, sent %q", i+1, it.ID, e.id)
		}
		switch st := it.Status; {
		case st >= 200 && st < 300:
		case st < 400:
			return outcome{sent: sent, retry: sent}, fmt.Errorf("bulk response item %d has status %d", i+1, st)
		case retryableStatus(st):
			out.retry = append(out.retry, e)
			if out.cause == "" {
				out.cause = describe(it)
			}
		case st == http.StatusUnauthorized || st == http.StatusForbidden || st == http.StatusNotFound:
			if fatal == nil {
				fatal = fmt.Errorf("index alert %s: %s", e.id, describe(it))
			}
		default:
			ie := ItemError{AlertID: e.id, Index: e.index, Status: st}
			if it.Error != nil {
				ie.Type = it.Error.Type
				ie.Reason = cut(reason(it), maxReason)
			}
			out.rejected = append(out.rejected, ie)
		}
	}
	return out, fatal
}

// describe is "status type: reason" for an item.
func describe(it opensearchapi.BulkRespItem) string {
	if it.Error == nil {
		return fmt.Sprintf("status %d", it.Status)
	}
	return cut(fmt.Sprintf("%d %s: %s", it.Status, it.Error.Type, reason(it)), maxReason)
}

// reason is the item's reason with its cause, as mapping errors put the
// useful part there ("failed to parse field [x]", caused by "For input
// string: ...").
func reason(it opensearchapi.BulkRespItem) string {
	r := it.Error.Reason
	if c := it.Error.Cause; c.Type != "" || c.Reason != "" {
		r += fmt.Sprintf(" (caused by %s: %s)", c.Type, c.Reason)
	}
	return r
}
