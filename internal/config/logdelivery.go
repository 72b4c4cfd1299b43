package config

import (
	"log/slog"
	"slices"
	"strconv"
	"strings"
)

// LogDeliveryConfig lists where the log records of the pools'
// SetLogDeliveryConfiguration go (docs/log-delivery.md). A pool's
// configuration names a CloudWatch Logs log group, S3 bucket or Firehose
// stream by ARN; each ARN a pool may name is listed here with the
// destination that receives its records.
type LogDeliveryConfig struct {
	Destinations []LogDestinationConfig `yaml:"destinations,omitempty"`
}

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
	return slog.GroupValue(slog.Attr{Key: "destinations", Value: slog.GroupValue(attrs...)})
}
