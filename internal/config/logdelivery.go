package config

import (
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LogDeliveryConfig lists where the log records of the pools'
// SetLogDeliveryConfiguration go (docs/log-delivery.md). A pool's
// configuration names a CloudWatch Logs log group, S3 bucket or Firehose
// stream by ARN; each ARN a pool may name is listed here with the
// destination that receives its records.
type LogDeliveryConfig struct {
	Destinations []LogDestinationConfig `yaml:"destinations,omitempty"`
	// CloudWatchLogs, S3 and Firehose deliver, through the AWS SDK, to
	// the log groups, buckets and streams pools name that Destinations
	// does not list. A block is on when enabled, region or endpoint is
	// set; credentials (and a region not given) come from the SDK's
	// default chain.
	CloudWatchLogs AWSLogServiceConfig `yaml:"cloudwatch_logs,omitempty"`
	S3             S3LogConfig         `yaml:"s3,omitempty"`
	Firehose       AWSLogServiceConfig `yaml:"firehose,omitempty"`
	// MaxAttempts bounds the attempts of one request to those services
	// (5 when 0).
	MaxAttempts int `yaml:"max_attempts,omitempty"`
}

// AWSLogServiceConfig is where log records of one AWS service are sent.
type AWSLogServiceConfig struct {
	// Enabled turns the service on with the SDK's default region and
	// endpoint.
	Enabled bool `yaml:"enabled,omitempty"`
	// Region is called when the ARN names none (S3 bucket ARNs never do).
	Region string `yaml:"region,omitempty"`
	// Endpoint replaces AWS's endpoint (an S3-compatible server, a VPC
	// endpoint, a stand-in).
	Endpoint string `yaml:"endpoint,omitempty"`
	// FlushInterval is how long a record waits for others to share its
	// request: 1s by default, 1m for S3 (one object per interval).
	FlushInterval Duration `yaml:"flush_interval,omitempty"`
}

// S3LogConfig is AWSLogServiceConfig with the keys of S3 alone.
type S3LogConfig struct {
	Enabled       bool     `yaml:"enabled,omitempty"`
	Region        string   `yaml:"region,omitempty"`
	Endpoint      string   `yaml:"endpoint,omitempty"`
	FlushInterval Duration `yaml:"flush_interval,omitempty"`
	// PathStyle puts the bucket in the URL's path, as most S3-compatible
	// servers want.
	PathStyle bool `yaml:"path_style,omitempty"`
	// KeyPrefix starts the object keys ("cognito-logs/" by default).
	KeyPrefix string `yaml:"key_prefix,omitempty"`
}

// Service returns the keys c shares with the other services.
func (c S3LogConfig) Service() AWSLogServiceConfig {
	return AWSLogServiceConfig{Enabled: c.Enabled, Region: c.Region, Endpoint: c.Endpoint, FlushInterval: c.FlushInterval}
}

// On reports whether S3 delivery is turned on.
func (c S3LogConfig) On() bool { return c.Service().On() }

// On reports whether the service is turned on.
func (a AWSLogServiceConfig) On() bool { return a.Enabled || a.Region != "" || a.Endpoint != "" }

// Bounds of the AWS log delivery settings.
const (
	MaxLogFlushInterval = 15 * time.Minute
	MaxLogMaxAttempts   = 10
)

// LogDestinationConfig is one ARN and where its records go: exactly one
// of File, Stdout and Webhook.
type LogDestinationConfig struct {
	// ARN is the log group, bucket or stream ARN pools name.
	ARN string `yaml:"arn"`
	// File receives the records as JSON lines, appended.
	File string `yaml:"file,omitempty"`
	// Stdout writes the records as JSON lines on the standard output.
	Stdout bool `yaml:"stdout,omitempty"`
	// Webhook receives each record as a signed JSON POST.
	Webhook WebhookConfig `yaml:"webhook,omitempty"`
}

func (c *LogDeliveryConfig) validate(add func(key, format string, args ...any)) {
	for _, a := range []struct {
		key string
		cfg AWSLogServiceConfig
	}{{"log_delivery.cloudwatch_logs", c.CloudWatchLogs}, {"log_delivery.s3", c.S3.Service()}, {"log_delivery.firehose", c.Firehose}} {
		if r := a.cfg.Region; r != "" && !regionPattern.MatchString(r) {
			add(a.key+".region", "%q is not a valid region name", r)
		}
		if e := a.cfg.Endpoint; e != "" {
			if u, err := url.Parse(e); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
				add(a.key+".endpoint", "must be an http or https URL")
			}
		}
		if f := a.cfg.FlushInterval.Duration(); f < 0 || f > MaxLogFlushInterval {
			add(a.key+".flush_interval", "must be between 0 and 15m")
		}
		if !a.cfg.On() && a.cfg != (AWSLogServiceConfig{}) {
			add(a.key, "set enabled, region or endpoint to turn the service on")
		}
	}
	if !c.S3.On() && (c.S3.PathStyle || c.S3.KeyPrefix != "") {
		add("log_delivery.s3", "set enabled, region or endpoint to turn the service on")
	}
	if c.MaxAttempts < 0 || c.MaxAttempts > MaxLogMaxAttempts {
		add("log_delivery.max_attempts", "must be between 1 and %d (0 for the default, 5)", MaxLogMaxAttempts)
	}
	seen := map[string]int{}
	for i, d := range c.Destinations {
		key := "log_delivery.destinations[" + strconv.Itoa(i) + "]"
		if parts := strings.SplitN(d.ARN, ":", 6); len(parts) != 6 || parts[0] != "arn" ||
			(parts[2] != "logs" && parts[2] != "s3" && parts[2] != "firehose") {
			add(key+".arn", "%q is not the ARN of a CloudWatch Logs log group, an S3 bucket or a Firehose stream", d.ARN)
		} else if first, dup := seen[d.ARN]; dup {
			add(key+".arn", "%q is also log_delivery.destinations[%d]", d.ARN, first)
		} else {
			seen[d.ARN] = i
		}
		n := 0
		for _, on := range []bool{d.File != "", d.Stdout, d.Webhook.Enabled()} {
			if on {
				n++
			}
		}
		if n != 1 {
			add(key, "needs exactly one of file, stdout and webhook")
		}
		if w := d.Webhook; w.Enabled() {
			if err := checkWebhookURL(w.URL); err != nil {
				add(key+".webhook.url", "%v", err)
			}
			if len(w.Secret) < MinWebhookSecret {
				add(key+".webhook.secret", "must be at least %d characters", MinWebhookSecret)
			}
		}
	}
}

// redacted returns c with the webhook secrets replaced by "REDACTED".
func (c LogDeliveryConfig) redacted() LogDeliveryConfig {
	c.Destinations = slices.Clone(c.Destinations)
	for i := range c.Destinations {
		if c.Destinations[i].Webhook.Secret != "" {
			c.Destinations[i].Webhook.Secret = redacted
		}
	}
	return c
}

// logValue returns the block for Config.LogValue.
func (c LogDeliveryConfig) logValue() slog.Value {
	var attrs []slog.Attr
	for i, d := range c.Destinations {
		var where slog.Attr
		switch {
		case d.File != "":
			where = slog.String("file", d.File)
		case d.Stdout:
			where = slog.Bool("stdout", true)
		default:
			where = slog.Group("webhook", slog.String("url", d.Webhook.URL), slog.String("secret", d.Webhook.Secret.String()))
		}
		attrs = append(attrs, slog.Group(strconv.Itoa(i), slog.String("arn", d.ARN), where))
	}
	out := []slog.Attr{{Key: "destinations", Value: slog.GroupValue(attrs...)}}
	for _, a := range []struct {
		key string
		cfg AWSLogServiceConfig
	}{{"cloudwatch_logs", c.CloudWatchLogs}, {"s3", c.S3.Service()}, {"firehose", c.Firehose}} {
		if a.cfg.On() {
			out = append(out, slog.Group(a.key, slog.String("region", a.cfg.Region), slog.String("endpoint", a.cfg.Endpoint)))
		}
	}
	return slog.GroupValue(out...)
}
