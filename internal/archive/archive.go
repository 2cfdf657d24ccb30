// Package archive formats normalized events as lines of Wazuh's
// archives.json: one JSON object per event with the manager, agent, decoder
// and location Wazuh would give a message from its aws-s3 module, and the
// event itself under "data".
//
// Unlike Wazuh, the line's "id" is deterministic (a hash of the bucket, key,
// record offset and the event's index within the record), so the same event
// read twice has the same id and any sink can deduplicate on it. "full_log"
// is left out: it would repeat "data" as a string and double the file.
package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// Formatter appends archive lines. It holds no mutable state and is safe for
// concurrent use.
type Formatter struct {
	prefix []byte // `{"timestamp":` is written per line; this is what follows the timestamp up to the id
}

// NewFormatter returns a Formatter for a manager named host.
func NewFormatter(host string) *Formatter {
	name, _ := json.Marshal(host)
	p := `,"agent":{"id":"000","name":` + string(name) + `},"manager":{"name":` + string(name) + `},"id":`
	return &Formatter{prefix: []byte(p)}
}

// timestampLayout is Wazuh's "%FT%T.%03ld%z".
const timestampLayout = "2006-01-02T15:04:05.000-0700"

// Append appends one line for event (a JSON object) with id and processing
// time ts to dst, ending in a newline.
func (f *Formatter) Append(dst []byte, id string, ts time.Time, event []byte) []byte {
	dst = append(dst, `{"timestamp":"`...)
	dst = ts.AppendFormat(dst, timestampLayout)
	dst = append(dst, '"')
	dst = append(dst, f.prefix...)
	dst = strconv.AppendQuote(dst, id)
	dst = append(dst, `,"decoder":{"name":"json"},"data":`...)
	dst = append(dst, event...)
	dst = append(dst, `,"location":"Wazuh-AWS"}`...)
	return append(dst, '\n')
}

// EventID is the deterministic id of the index-th event made from the
// record at offset in bucket/key.
func EventID(bucket, key string, offset int64, index int) string {
	h := sha256.New()
	var num [20]byte
	h.Write([]byte(bucket))
	h.Write([]byte{0})
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(num[:0], offset, 10))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(num[:0], int64(index), 10))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}
