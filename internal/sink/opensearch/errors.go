package opensearch

import (
	"fmt"
	"strings"
)

// BulkError reports alerts the cluster rejected for good (a mapping
// conflict, a document it cannot parse) or that dutywatch could not send
// (not one JSON object). Deliver returns it only when every other alert
// of the batch was indexed, so a caller may record these and move on.
type BulkError struct {
	Items []ItemError
}

// ItemError is one rejected alert.
type ItemError struct {
	AlertID string
	Index   string
	// Status is the item's HTTP status, 0 when the alert was never sent.
	Status int
	// Type and Reason are the server's error type and reason
	// ("mapper_parsing_exception", "failed to parse field [...]"), the
	// reason cut to maxReason bytes.
	Type   string
	Reason string
}

// maxReason bounds a reason's length: Elasticsearch may quote the whole
// document in it.
const maxReason = 512

// maxListed bounds how many items Error names.
const maxListed = 5

func (e *BulkError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d alerts rejected: ", len(e.Items))
	for i, it := range e.Items {
		if i == maxListed {
			fmt.Fprintf(&b, "; and %d more", len(e.Items)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(it.String())
	}
	return b.String()
}

// AlertIDs lists the rejected alerts' ids, in batch order.
func (e *BulkError) AlertIDs() []string {
	ids := make([]string, len(e.Items))
	for i, it := range e.Items {
		ids[i] = it.AlertID
	}
	return ids
}

func (it ItemError) String() string {
	if it.Status == 0 {
		return fmt.Sprintf("%s: %s", it.AlertID, it.Reason)
	}
	return fmt.Sprintf("%s in %s: %d %s: %s", it.AlertID, it.Index, it.Status, it.Type, it.Reason)
}

// cut shortens s to at most n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}
