// Package generator makes realistic GuardDuty findings and stores them the
// way AWS does, for the demo, tests and benchmarks.
//
// Generate writes the objects a Config describes through a Writer
// (DirWriter for a folder, S3Writer for a bucket):
//
//   - Firehose layout: PREFIX/YYYY/MM/DD/HH/<stream>-1-YYYY-MM-DD-HH-MM-SS-<uuid>[.gz|.zip|.snappy],
//     full EventBridge envelopes concatenated with no delimiter (or one
//     newline each), compressed as gzip, zip (one or several entries),
//     Snappy framing, Hadoop-Snappy (block format, see hadoopSnappy) or
//     not at all; optionally mixed with events of other GuardDuty detail
//     types.
//   - Native export layout: PREFIX/AWSLogs/<account>/GuardDuty/<region>/YYYY/MM/DD/<uuid>.jsonl.gz,
//     gzip JSON lines of bare findings; archived versions are not exported.
//
// Findings look like GuardDuty's: 32-hex ids, ARNs with partition, region,
// account and detector, instance details with network interfaces, tags
// and security groups, remote IPs with country, city, coordinates and
// organisation (asn as a string), millisecond timestamps, epoch-number
// model timestamps where GuardDuty writes them, severities as integers
// and sometimes decimals. Every type of the AWS table (Types) can be
// made; a run mixes all of them, weighted towards the classes of Wazuh's
// GuardDuty guide (SSH/RDP brute force, port probes with several details,
// IAM calls from unusual networks and malicious IPs, C&C and Bitcoin DNS,
// DNS exfiltration and drop points, Tor). A small cast of instances,
// users and attacker addresses makes stories repeat across types. Some
// findings are re-sent later with a higher count (updates), a few are
// GuardDuty sample findings, a few updates are archived. All addresses
// are documentation ranges, ASNs documentation numbers, domains under
// .example.
//
// Determinism: the same Config gives byte-identical keys and objects;
// Config.Finding(i) and Finding(seed, i) return a single finding as
// Generate writes it, and Summary.Events the number of Wazuh events the
// objects yield (a port probe with n > 1 details counts n).
//
// Concurrency: Generate is safe to call concurrently; it calls its Writer
// from one goroutine. Stop: Generate returns when ctx ends, after the
// object in progress.
package generator
