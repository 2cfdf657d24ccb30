// Package decode turns the body of one stored object into JSON records,
// streaming: whatever the object's size, it holds one record and a few
// buffers in memory.
//
// # Formats
//
// The compression is sniffed from the first bytes, never from the key:
//
//   - gzip (1f 8b), every member of a multi-member stream;
//   - zip (50 4b 03 04), every file entry in directory order, folders skipped;
//   - Snappy framing format (ff 06 00 00 73 4e 61 50 70 59), Firehose "Snappy";
//   - Hadoop-Snappy, Firehose HADOOP_SNAPPY: blocks of a 4-byte big-endian
//     uncompressed length and chunks of a 4-byte big-endian compressed
//     length plus a raw Snappy block. It has no magic number, so it is
//     recognised, when nothing else matches, by a first block header whose
//     lengths agree with the first chunk's Snappy length varint;
//   - plain JSON: the first byte after an optional UTF-8 byte order mark and
//     whitespace is '{' or '['. An empty or all-whitespace body is plain and
//     holds no records.
//
// Anything else is an error wrapping ErrFormat that quotes the first bytes.
//
// # Records
//
// The decompressed stream is cut by a Splitter into top-level JSON values:
// objects concatenated with nothing between them (Firehose's default), or
// with any JSON whitespace (JSON lines, CRLF, blank lines, pretty-printed).
// A top-level array is opened and each element is a record; an element must
// itself be an object or an array (an array of arrays yields the inner
// arrays). Scalars at top level or as top-level array elements are errors.
// The splitter finds each value's end by tracking strings, escapes and
// bracket nesting in one linear pass; it checks that brackets match but does
// not validate the rest of a record, which the finding parser does.
//
// Record.Offset is the decompressed byte offset of the record's first byte.
// Across the entries of a zip object offsets are cumulative, so an offset is
// unique within an object and can key an alert ID.
//
// # Memory
//
// The splitter keeps one buffer (256 KiB to start) that grows only to hold
// the longest record, up to Options.MaxRecordBytes (64 MiB by default) plus
// one read; a longer record is an error wrapping ErrRecordTooLarge. Gzip and
// Snappy stream through their decoders; a Hadoop-Snappy chunk is held whole
// (at most 16 MiB decoded, Hadoop writes 256 KiB). A zip object is spooled
// to a temporary file in Options.TempDir, because its directory is at the
// end; the file is unlinked at once where the OS allows it, and removed by
// Close otherwise. Disk use is the compressed size.
//
// # Errors
//
// Every error from Reader.Err is an *Error naming the object (for a zip
// entry "<key>!<entry name>") and a byte offset in the decompressed stream
// (for a zip entry, within the entry): for a syntax error the offending
// byte, for a cut record the end of the stream, for an oversized record its
// start, and for a failing decompressor (a truncated gzip gives
// io.ErrUnexpectedEOF) the number of bytes it decoded before failing. A
// failed read of the body itself is reported as "read body: <cause>", with
// the cause wrapped, so source.ErrTransient survives errors.Is. Records
// yielded before an error were complete; the caller decides whether to keep
// them.
//
// # Concurrency
//
// A Reader or Splitter is used by one goroutine. Neither starts goroutines.
// Record data is valid until the next call to Next.
//
// # Stop
//
// Close a Reader when done with it, after an error too: it removes the
// spooled zip file. It never closes the body, which belongs to the caller.
package decode
