package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dutywatch/dutywatch/internal/config"
	"github.com/dutywatch/dutywatch/internal/deliver"
	"github.com/dutywatch/dutywatch/internal/notify"
	"github.com/dutywatch/dutywatch/internal/sink/opensearch"
	"github.com/dutywatch/dutywatch/internal/store"
)

// buildDeliverer returns the delivery loops of cfg's indexers and
// notifications, or nil when there are none. close releases them.
func buildDeliverer(ctx context.Context, cfg config.Config, st *store.Store, owner string, log *slog.Logger, reg prometheus.Registerer) (d *deliver.Deliverer, close func(), err error) {
	var indexers []deliver.Indexer
	var notifiers []deliver.Notifier
	var closers []func() error
	close = func() {
		for _, c := range closers {
			c()
		}
	}
	defer func() {
		if err != nil {
			close()
		}
	}()
	for _, ic := range cfg.Indexers {
		oc := opensearch.DefaultConfig()
		oc.URLs, oc.Username, oc.Password, oc.APIKey = ic.URLs, ic.Username, ic.Password.Reveal(), ic.APIKey.Reveal()
		oc.CACert, oc.InsecureSkipVerify, oc.IndexPrefix, oc.Template = ic.CACert, ic.InsecureSkipVerify, ic.IndexPrefix, ic.Template
		out, err := opensearch.New(ctx, oc, log.With("indexer", ic.Name))
		if err != nil {
			return nil, close, fmt.Errorf("indexer %s: %w", ic.Name, err)
		}
		closers = append(closers, out.Close)
		indexers = append(indexers, indexerOutput{name: "indexer/" + ic.Name, out: out})
	}
	for _, nc := range cfg.Notifications {
		n, err := notify.New(notifyDestination(nc), log.With("notification", nc.Name))
		if err != nil {
			return nil, close, err
		}
		closers = append(closers, n.Close)
		notifiers = append(notifiers, notifier{name: "notify/" + nc.Name, n: n})
	}
	if len(indexers)+len(notifiers) == 0 {
		return nil, close, nil
	}
	return deliver.New(deliver.DefaultConfig(owner), st, indexers, notifiers, log, reg), close, nil
}

// notifyDestination maps a configured notification to notify's settings.
func notifyDestination(nc config.Notification) notify.Destination {
	d := notify.Destination{Name: nc.Name, Kind: nc.Type, MinLevel: nc.MinLevel, Types: nc.Types,
		ExcludeTypes: nc.ExcludeTypes, Timeout: nc.Timeout}
	if nc.RateCount > 0 {
		perMinute := float64(nc.RateCount) * float64(time.Minute) / float64(nc.RatePer)
		d.RateLimit = notify.RateLimit{PerMinute: perMinute, Burst: nc.RateCount}
	}
	switch nc.Type {
	case notify.KindWebhook:
		headers := make(map[string]string, len(nc.Headers))
		for k, v := range nc.Headers {
			headers[k] = v.Reveal()
		}
		d.Webhook = notify.Webhook{URL: nc.URL.Reveal(), Headers: headers, Secret: nc.SigningSecret.Reveal()}
	case notify.KindSlack:
		d.Slack = notify.Slack{WebhookURL: nc.URL.Reveal()}
	case notify.KindEmail:
		d.Email = notify.Email{Host: nc.SMTPHost, Port: nc.SMTPPort, Username: nc.Username, Password: nc.Password.Reveal(),
			From: nc.From, To: nc.To, StartTLS: nc.StartTLS, SubjectPrefix: nc.SubjectPrefix, CACert: nc.CACert,
			InsecureSkipVerify: nc.InsecureSkipVerify}
	}
	return d
}

// indexerOutput adapts an OpenSearch output to the delivery loop.
type indexerOutput struct {
	name string
	out  *opensearch.Output
}

func (o indexerOutput) Name() string { return o.name }

func (o indexerOutput) Deliver(ctx context.Context, items []store.OutboxItem) error {
	batch := make([]opensearch.Item, len(items))
	for i, it := range items {
		batch[i] = opensearch.Item{AlertID: it.AlertID, Time: it.Time, Doc: it.Doc}
	}
	err := o.out.Deliver(ctx, batch)
	var bulk *opensearch.BulkError
	if errors.As(err, &bulk) {
		rej := &deliver.Rejected{Reasons: map[string]string{}}
		for _, e := range bulk.Items {
			rej.Reasons[e.AlertID] = fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Reason)
		}
		return rej
	}
	return err
}

// notifier adapts a notification destination to the delivery loop.
type notifier struct {
	name string
	n    *notify.Notifier
}

func (n notifier) Name() string { return n.name }

func (n notifier) Notify(ctx context.Context, it store.OutboxItem) (deliver.Outcome, string, error) {
	out, err := n.n.Notify(ctx, notify.Item{AlertID: it.AlertID, Time: it.Time, Level: it.Level, RuleID: it.RuleID, Type: it.Type, Doc: it.Doc})
	switch out.Status {
	case notify.Sent:
		return deliver.Sent, out.Reason, nil
	case notify.Dropped:
		return deliver.Dropped, out.Reason, nil
	}
	if err == nil {
		err = errors.New(out.Reason)
	}
	return deliver.Failed, out.Reason, err
}
