package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// bruteForceWhere selects brute-force alerts in a range. It repeats the
// condition of the alerts_brute_force partial index word for word, so
// SQLite can use it. That index leads with the row's columns: the rows
// stream out grouped, and a month costs a scan of the index rather than a
// sort of every alert in it.
const bruteForceWhere = `type LIKE '%BruteForce%' AND event_time >= ? AND event_time < ?`

// BruteForce returns the brute-force page for r: the (instance, attacker,
// port) triples with the most alerts (at most limit, default 50), alerts
// per target port, and a chart by port.
func (s *Store) BruteForce(ctx context.Context, r TimeRange, limit int) (BruteForce, error) {
	limit = clampLimit(limit, 50, maxTop)
	var bf BruteForce
	err := s.read(ctx, func(q reader) error {
		w, ok, err := resolve(ctx, q, r)
		if err != nil || !ok {
			return err
		}
		rows, err := q.QueryContext(ctx, `SELECT instance_id, remote_ip, local_port, max(remote_country),
				count(*) AS n, max(count), max(event_time) AS last
			FROM alerts`+q.s.d.indexedBy("alerts_brute_force")+` WHERE `+q.s.d.bruteForceWhere+`
			GROUP BY instance_id, remote_ip, local_port ORDER BY n DESC, last DESC, 1, 2, 3 LIMIT ?`, w.from, w.to, limit)
		if err != nil {
			return fmt.Errorf("group brute-force alerts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var row BruteForceRow
			var last int64
			if err := rows.Scan(&row.InstanceID, &row.RemoteIP, &row.Port, &row.Country, &row.Alerts, &row.Attempts, &last); err != nil {
				return fmt.Errorf("read brute-force row: %w", err)
			}
			row.Last = millis(last)
			bf.Rows = append(bf.Rows, row)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read brute-force rows: %w", err)
		}
		p := split(w)
		edges, err := readEdges(ctx, q, p)
		if err != nil {
			return err
		}
		ports, err := readSeries(ctx, q, dimPort, w, p, edges)
		if err != nil {
			return err
		}
		bf.ByPort, bf.Series = portSeries(ports)
		return nil
	})
	if err != nil {
		return BruteForce{}, fmt.Errorf("read brute force: %w", err)
	}
	return bf, nil
}

// portSeries renames port labels ("22" to "22/ssh") and returns the totals
// per port and the chart.
func portSeries(a *seriesAcc) ([]Count, Series) {
	named := &seriesAcc{start: a.start, step: a.step, n: a.n, vals: map[string][]int64{}}
	for l, v := range a.vals {
		port, _ := strconv.Atoi(l)
		named.vals[portLabel(port)] = v
	}
	tot := named.totals()
	return tot, named.series(labels(tot))
}

// portLabel names well-known target ports of brute-force attacks.
func portLabel(port int) string {
	name := ""
	switch port {
	case 0:
		return "unknown"
	case 21:
		name = "ftp"
	case 22:
		name = "ssh"
	case 23:
		name = "telnet"
	case 445:
		name = "smb"
	case 1433:
		name = "mssql"
	case 3306:
		name = "mysql"
	case 3389:
		name = "rdp"
	case 5432:
		name = "postgres"
	case 5900:
		name = "vnc"
	case 5985, 5986:
		name = "winrm"
	case 6443:
		name = "kubernetes"
	case 10250:
		name = "kubelet"
	default:
		return strconv.Itoa(port)
	}
	return strconv.Itoa(port) + "/" + name
}

// unusualWhere selects API calls and IAM anomalies in a range; like
// bruteForceWhere it repeats its partial index's condition.
const unusualWhere = `(api != '' OR type LIKE '%IAMUser/%' OR type LIKE '%MaliciousIPCaller%' OR type LIKE '%AnomalousBehavior%'
		OR type LIKE '%InstanceCredentialExfiltration%') AND event_time >= ? AND event_time < ?`

// UnusualNetwork returns the page of API calls from unusual networks for
// r: the (principal, remote IP, API) triples with the most alerts, and the
// top principals, APIs and countries (at most limit each, default 50) and
// locations.
func (s *Store) UnusualNetwork(ctx context.Context, r TimeRange, limit int) (UnusualNetwork, error) {
	limit = clampLimit(limit, 50, maxTop)
	var un UnusualNetwork
	err := s.read(ctx, func(q reader) error {
		w, ok, err := resolve(ctx, q, r)
		if err != nil || !ok {
			return err
		}
		// Over a few days, reading the range beats scanning the grouped
		// index; over longer ranges the sort of every alert in it costs
		// more than the scan.
		grouped := "alerts_unusual_network"
		if w.to-w.from > 3*spanDay {
			grouped = "alerts_unusual_rows"
		}
		if un.Rows, err = unusualRows(ctx, q, w, grouped, limit); err != nil {
			return err
		}
		for _, l := range []struct {
			col, index string // constants
			dst        *[]Count
		}{
			{"principal", grouped, &un.Principals},
			{"api", "alerts_unusual_network", &un.APIs},
			{"remote_country", "alerts_unusual_network", &un.Countries},
		} {
			rows, err := q.QueryContext(ctx, `SELECT `+l.col+`, count(*) AS n FROM alerts`+q.s.d.indexedBy(l.index)+
				` WHERE `+q.s.d.unusualWhere+` AND `+l.col+` != '' GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?`, w.from, w.to, limit)
			if err != nil {
				return fmt.Errorf("count unusual-network alerts by %s: %w", l.col, err)
			}
			if *l.dst, err = scanCounts(rows); err != nil {
				return err
			}
		}
		un.Geo, err = unusualGeo(ctx, q, w)
		return err
	})
	if err != nil {
		return UnusualNetwork{}, fmt.Errorf("read unusual network: %w", err)
	}
	return un, nil
}

// unusualRows groups the unusual-network alerts of w, read through index (a
// constant).
func unusualRows(ctx context.Context, q reader, w window, index string, limit int) ([]UnusualNetworkRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT principal, remote_ip, api, max(remote_country), max(remote_city),
			max(remote_asn), max(remote_org), count(*) AS n, max(event_time) AS last
		FROM alerts`+q.s.d.indexedBy(index)+` WHERE `+q.s.d.unusualWhere+`
		GROUP BY principal, remote_ip, api ORDER BY n DESC, last DESC, 1, 2, 3 LIMIT ?`, w.from, w.to, limit)
	if err != nil {
		return nil, fmt.Errorf("group unusual-network alerts: %w", err)
	}
	defer rows.Close()
	var out []UnusualNetworkRow
	for rows.Next() {
		var row UnusualNetworkRow
		var last int64
		if err := rows.Scan(&row.Principal, &row.RemoteIP, &row.API, &row.Country, &row.City, &row.ASN, &row.Org,
			&row.Alerts, &last); err != nil {
			return nil, fmt.Errorf("read unusual-network row: %w", err)
		}
		row.Last = millis(last)
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read unusual-network rows: %w", err)
	}
	return out, nil
}

func unusualGeo(ctx context.Context, q reader, w window) ([]GeoPoint, error) {
	rows, err := q.QueryContext(ctx, `SELECT lat, lon, remote_country, remote_city, count(*) AS n
		FROM alerts`+q.s.d.indexedBy("alerts_unusual_network")+` WHERE `+q.s.d.unusualWhere+` AND lat IS NOT NULL AND lon IS NOT NULL
		GROUP BY 1, 2, 3, 4 ORDER BY n DESC, 3, 4, 1, 2 LIMIT ?`, w.from, w.to, geoPoints)
	if err != nil {
		return nil, fmt.Errorf("locate unusual-network alerts: %w", err)
	}
	defer rows.Close()
	var out []GeoPoint
	for rows.Next() {
		var g GeoPoint
		if err := rows.Scan(&g.Lat, &g.Lon, &g.Country, &g.City, &g.Count); err != nil {
			return nil, fmt.Errorf("read location: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read locations: %w", err)
	}
	return out, nil
}

// maxTimeline bounds an instance's timeline: the newest entries are kept.
const maxTimeline = 10000

// InstanceStory returns everything about one instance in r, oldest first:
// its alerts, and the finding versions stored for it that raised no alert
// (GuardDuty saw the attack again, and the update policy did not re-alert).
// Only the newest maxTimeline entries are kept; Types counts all of them.
func (s *Store) InstanceStory(ctx context.Context, instanceID string, r TimeRange) (InstanceStory, error) {
	if instanceID == "" {
		return InstanceStory{}, errors.New("read instance story: no instance id")
	}
	st := InstanceStory{InstanceID: instanceID}
	err := s.read(ctx, func(q reader) error {
		w, ok, err := resolve(ctx, q, r)
		if err != nil || !ok {
			return err
		}
		alerts, err := instanceAlerts(ctx, q, instanceID, w)
		if err != nil {
			return err
		}
		versions, err := instanceFindings(ctx, q, instanceID, w)
		if err != nil {
			return err
		}
		st.Types, err = instanceTypes(ctx, q, instanceID, w)
		if err != nil {
			return err
		}
		for _, e := range mergeTimeline(alerts, versions) {
			st.Timeline = append(st.Timeline, e.TimelineEntry)
			if e.account != "" { // the newest known account and region
				st.Account, st.Region = e.account, e.region
			}
		}
		return nil
	})
	if err != nil {
		return InstanceStory{}, fmt.Errorf("read story of %s: %w", instanceID, err)
	}
	return st, nil
}

// timelineRow is a TimelineEntry with the account and region it came from.
type timelineRow struct {
	TimelineEntry
	account, region string
}

func instanceAlerts(ctx context.Context, q reader, instanceID string, w window) ([]timelineRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT event_time, id, rule_id, level, type, title, description, severity,
			remote_ip, count, account, region
		FROM alerts WHERE instance_id = ? AND event_time >= ? AND event_time < ?
		ORDER BY event_time DESC, id DESC LIMIT ?`, instanceID, w.from, w.to, maxTimeline)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	defer rows.Close()
	var out []timelineRow
	for rows.Next() {
		var e timelineRow
		var t int64
		if err := rows.Scan(&t, &e.AlertID, &e.RuleID, &e.Level, &e.Type, &e.Title, &e.Description, &e.Severity,
			&e.RemoteIP, &e.Count, &e.account, &e.region); err != nil {
			return nil, fmt.Errorf("read alert: %w", err)
		}
		e.Time = millis(t)
		out = append(out, e)
	}
	return out, rows.Err()
}

// findingsNoAlert selects an instance's stored finding versions that raised
// no alert in a range.
const findingsNoAlert = `FROM findings AS f WHERE f.instance_id = ? AND f.updated_at >= ? AND f.updated_at < ?
	AND NOT EXISTS (SELECT 1 FROM alerts AS a WHERE a.finding_key = f.key AND a.event_time = f.updated_at)`

func instanceFindings(ctx context.Context, q reader, instanceID string, w window) ([]timelineRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT f.updated_at, f.type, f.title, f.severity, f.actor, f.count,
			f.account, f.region `+findingsNoAlert+` ORDER BY f.updated_at DESC, f.key DESC LIMIT ?`,
		instanceID, w.from, w.to, maxTimeline)
	if err != nil {
		return nil, fmt.Errorf("list finding versions: %w", err)
	}
	defer rows.Close()
	var out []timelineRow
	for rows.Next() {
		var e timelineRow
		var t int64
		if err := rows.Scan(&t, &e.Type, &e.Title, &e.Severity, &e.RemoteIP, &e.Count, &e.account, &e.region); err != nil {
			return nil, fmt.Errorf("read finding version: %w", err)
		}
		e.Time = millis(t)
		out = append(out, e)
	}
	return out, rows.Err()
}

func instanceTypes(ctx context.Context, q reader, instanceID string, w window) ([]Count, error) {
	rows, err := q.QueryContext(ctx, `SELECT type, count(*) FROM (
			SELECT type FROM alerts WHERE instance_id = ?1 AND event_time >= ?2 AND event_time < ?3
			UNION ALL SELECT f.type `+findingsNoAlert+`)
		AS u GROUP BY type`, instanceID, w.from, w.to, instanceID, w.from, w.to)
	if err != nil {
		return nil, fmt.Errorf("count types: %w", err)
	}
	cs, err := scanCounts(rows)
	sortCounts(cs)
	return cs, err
}

// mergeTimeline merges alerts and finding versions into one timeline,
// oldest first (at equal times alerts first), keeping the newest
// maxTimeline entries.
func mergeTimeline(alerts, versions []timelineRow) []timelineRow {
	all := append(alerts, versions...)
	slices.SortFunc(all, func(a, b timelineRow) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if a.AlertID == "" || b.AlertID == "" { // the finding version after the alert
			return cmp.Compare(b.AlertID, a.AlertID)
		}
		return cmp.Compare(a.AlertID, b.AlertID)
	})
	return all[max(0, len(all)-maxTimeline):]
}
