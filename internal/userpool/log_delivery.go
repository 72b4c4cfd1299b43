package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
)

// kindLogDelivery is the item kind of a pool's log delivery configuration
// (SetLogDeliveryConfiguration): ID and Pool are the pool ID, Data the
// idp.LogDeliveryConfigurationType. It replicates with the pool's other
// configuration and is deleted with the pool.
const kindLogDelivery = "log_delivery"

func init() { storage.DeclareKind(kindLogDelivery, storage.Replicated) }

// GetLogDeliveryConfiguration answers GetLogDeliveryConfiguration: the
// pool's log configurations, none when it has never been set.
func (s *Service) GetLogDeliveryConfiguration(ctx context.Context, c cognito.Caller, in *idp.GetLogDeliveryConfigurationRequest) (*idp.GetLogDeliveryConfigurationResponse, error) {
	id := cognito.Deref(in.UserPoolId)
	if _, err := poolRecord(ctx, s.store, c, id); err != nil {
		return nil, err
	}
	cfg, err := readLogDelivery(ctx, s.store, id)
	if err != nil {
		return nil, err
	}
	return &idp.GetLogDeliveryConfigurationResponse{LogDeliveryConfiguration: cfg}, nil
}

// SetLogDeliveryConfiguration answers SetLogDeliveryConfiguration. As in
// Cognito, userNotification takes level ERROR and a CloudWatch Logs log
// group; userAuthEvents takes level INFO and exactly one of a log group,
// an S3 bucket or a Firehose stream, in a pool of the PLUS tier; each
// source at most once. Each ARN must be one of the server's configured
// log destinations (log_delivery.destinations), or of a service the
// server delivers to through the AWS SDK, and its destination must exist
// (checkLogDestination).
func (s *Service) SetLogDeliveryConfiguration(ctx context.Context, c cognito.Caller, in *idp.SetLogDeliveryConfigurationRequest) (*idp.SetLogDeliveryConfigurationResponse, error) {
	id := cognito.Deref(in.UserPoolId)
	_, p, err := s.loadPool(ctx, c, id)
	if err != nil {
		return nil, err
	}
	seen := map[idp.EventSourceName]bool{}
	for i, lc := range in.LogConfigurations {
		if err := s.checkLogConfiguration(p, lc, i); err != nil {
			return nil, err
		}
		src := cognito.Deref(lc.EventSource)
		if seen[src] {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("EventSource %s is configured more than once.", src))
		}
		seen[src] = true
	}
	for _, lc := range in.LogConfigurations {
		if err := s.checkLogDestination(ctx, logConfigurationARN(lc)); err != nil {
			return nil, err
		}
	}
	cfg := &idp.LogDeliveryConfigurationType{UserPoolId: cognito.Ptr(id), LogConfigurations: in.LogConfigurations}
	if cfg.LogConfigurations == nil {
		cfg.LogConfigurations = []idp.LogConfigurationType{}
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		return nil, cognito.Internal(err)
	}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if _, err := poolRecord(ctx, tx, c, id); err != nil {
			return err
		}
		now := s.now()
		it, err := tx.GetItem(ctx, kindLogDelivery, id)
		if errors.Is(err, storage.ErrNotFound) {
			return tx.CreateItem(ctx, &storage.Item{Kind: kindLogDelivery, ID: id, Pool: id, Data: data, CreatedAt: now, UpdatedAt: now})
		}
		if err != nil {
			return err
		}
		it.Data, it.UpdatedAt = data, now
		return tx.UpdateItem(ctx, it)
	})
	if err != nil {
		return nil, err
	}
	return &idp.SetLogDeliveryConfigurationResponse{LogDeliveryConfiguration: cfg}, nil
}

// checkLogConfiguration checks the i-th configuration of p.
func (s *Service) checkLogConfiguration(p *idp.UserPoolType, lc idp.LogConfigurationType, i int) error {
	type dest struct {
		member, service string
		arn             *string
	}
	var set []dest
	if lc.CloudWatchLogsConfiguration != nil {
		set = append(set, dest{"CloudWatchLogsConfiguration", "logs", lc.CloudWatchLogsConfiguration.LogGroupArn})
	}
	if lc.S3Configuration != nil {
		set = append(set, dest{"S3Configuration", "s3", lc.S3Configuration.BucketArn})
	}
	if lc.FirehoseConfiguration != nil {
		set = append(set, dest{"FirehoseConfiguration", "firehose", lc.FirehoseConfiguration.StreamArn})
	}
	src, level := cognito.Deref(lc.EventSource), cognito.Deref(lc.LogLevel)
	switch src {
	case idp.EventSourceNameUserNotification:
		if level != idp.LogLevelError {
			return cognito.InvalidParameterException("LogLevel must be ERROR for EventSource userNotification.")
		}
		if len(set) != 1 || set[0].service != "logs" {
			return cognito.InvalidParameterException("EventSource userNotification requires exactly a CloudWatchLogsConfiguration.")
		}
	case idp.EventSourceNameUserAuthEvents:
		if level != idp.LogLevelInfo {
			return cognito.InvalidParameterException("LogLevel must be INFO for EventSource userAuthEvents.")
		}
		if len(set) != 1 {
			return cognito.InvalidParameterException("EventSource userAuthEvents requires exactly one of CloudWatchLogsConfiguration, S3Configuration and FirehoseConfiguration.")
		}
		if cognito.Deref(p.UserPoolTier) != idp.UserPoolTierTypePlus {
			return cognito.FeatureUnavailableInTierException("Exporting userAuthEvents logs requires the PLUS tier.")
		}
	}
	arn := cognito.Deref(set[0].arn)
	if parts := strings.SplitN(arn, ":", 6); len(parts) != 6 || parts[0] != "arn" || parts[2] != set[0].service {
		return cognito.InvalidParameterException(fmt.Sprintf("%s of LogConfigurations[%d] needs an ARN of the %s service.", set[0].member, i, set[0].service))
	}
	if !s.logs.Knows(arn) {
		return cognito.InvalidParameterException(fmt.Sprintf("The destination %s is not one of the server's log destinations.", arn))
	}
	return nil
}

// logConfigurationARN is the destination ARN lc names (checked to be one).
func logConfigurationARN(lc idp.LogConfigurationType) string {
	switch {
	case lc.CloudWatchLogsConfiguration != nil:
		return cognito.Deref(lc.CloudWatchLogsConfiguration.LogGroupArn)
	case lc.S3Configuration != nil:
		return cognito.Deref(lc.S3Configuration.BucketArn)
	case lc.FirehoseConfiguration != nil:
		return cognito.Deref(lc.FirehoseConfiguration.StreamArn)
	}
	return ""
}

// checkLogDestination refuses a configuration whose destination does not
// exist, as Cognito does, or cannot be checked (docs/log-delivery.md): a
// log group, bucket or stream is looked up through the configured
// endpoint, a file destination on disk. Cognito does not document the
// exception; InvalidParameterException, the one it names for a bad
// configuration, answers all three cases, with messages that tell them
// apart. An endpoint that does not answer is refused too, never an
// internal error: nothing is stored.
func (s *Service) checkLogDestination(ctx context.Context, arn string) error {
	err := s.logs.CheckDestination(ctx, arn)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, messaging.ErrLogDestinationMissing):
		return cognito.InvalidParameterException(fmt.Sprintf("The log destination %s does not exist.", arn)).WithCause(err)
	case errors.Is(err, messaging.ErrLogDestinationRefused):
		return cognito.InvalidParameterException(fmt.Sprintf("The log destination %s cannot be written to.", arn)).WithCause(err)
	}
	return cognito.InvalidParameterException(fmt.Sprintf("The log destination %s could not be checked: its service did not answer. Try again.", arn)).WithCause(err)
}

// readLogDelivery returns the stored configuration of pool id, or an empty
// one.
func readLogDelivery(ctx context.Context, r storage.ItemReader, id string) (*idp.LogDeliveryConfigurationType, error) {
	it, err := r.GetItem(ctx, kindLogDelivery, id)
	if errors.Is(err, storage.ErrNotFound) {
		return &idp.LogDeliveryConfigurationType{UserPoolId: cognito.Ptr(id), LogConfigurations: []idp.LogConfigurationType{}}, nil
	}
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("read log delivery of %q: %w", id, err))
	}
	var cfg idp.LogDeliveryConfigurationType
	if err := json.Unmarshal(it.Data, &cfg); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode log delivery of %q: %w", id, err))
	}
	return &cfg, nil
}

// ExportsLogs reports whether the server has any log destination: when it
// has none, ExportLog never reads the store.
func (s *Service) ExportsLogs() bool { return s.logs.Len() > 0 }

// ExportLog sends a record of source (userNotification, level ERROR, or
// userAuthEvents, level INFO) with message to the destination the pool's
// log delivery configuration names for source, if any. It reads the
// configuration through r (a transaction's reader, or the store), and
// only when the server has log destinations. Delivery is best effort, as
// in Cognito: a failure is logged, never returned.
func (s *Service) ExportLog(ctx context.Context, r storage.ItemReader, poolID string, source idp.EventSourceName, message any) {
	if !s.ExportsLogs() {
		return
	}
	cfg, err := readLogDelivery(ctx, r, poolID)
	if err != nil {
		s.log.Warn("read log delivery configuration", "pool", poolID, "error", err.Error())
		return
	}
	for _, lc := range cfg.LogConfigurations {
		if cognito.Deref(lc.EventSource) != source {
			continue
		}
		var arn string
		switch {
		case lc.CloudWatchLogsConfiguration != nil:
			arn = cognito.Deref(lc.CloudWatchLogsConfiguration.LogGroupArn)
		case lc.S3Configuration != nil:
			arn = cognito.Deref(lc.S3Configuration.BucketArn)
		case lc.FirehoseConfiguration != nil:
			arn = cognito.Deref(lc.FirehoseConfiguration.StreamArn)
		}
		eventSource, level := messaging.LogSourceUserNotification, "ERROR"
		if source == idp.EventSourceNameUserAuthEvents {
			eventSource, level = messaging.LogSourceUserAuthEvents, "INFO"
		}
		s.logs.Export(arn, messaging.NewLogRecord(s.now(), eventSource, level, poolID, message))
	}
}
