package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/internal/triggers"
)

// newTriggers builds the invoker of the pools' Lambda triggers from the
// triggers block: the Invoke API with the AWS SDK's settings (the lambda
// keys overriding them) for every function no route names, a transport
// per route, and AWS KMS (the kms keys overriding the SDK's settings) for
// the codes of custom sender functions. Every invocation is counted in metrics.
func newTriggers(ctx context.Context, cfg config.TriggersConfig, metrics *server.Metrics, log *slog.Logger) (*triggers.Invoker, error) {
	lambda, err := triggers.NewLambda(ctx, triggers.LambdaConfig{Region: cfg.Lambda.Region, Endpoint: cfg.Lambda.Endpoint})
	if err != nil {
		return nil, fmt.Errorf("triggers.lambda: %w", err)
	}
	kms, err := triggers.NewKMS(ctx, triggers.KMSConfig{Region: cfg.KMS.Region, Endpoint: cfg.KMS.Endpoint})
	if err != nil {
		return nil, fmt.Errorf("triggers.kms: %w", err)
	}
	opts := triggers.Options{
		Lambda: lambda, KMS: kms, Timeout: time.Duration(cfg.Timeout), Attempts: cfg.Attempts,
		MaxResponseBytes: cfg.MaxResponseBytes, Logger: log, Observe: metrics.TriggerInvoked,
	}
	for i, r := range cfg.Routes {
		var t triggers.Transport
		if r.WebhookURL != "" {
			t, err = triggers.NewWebhook(triggers.WebhookConfig{URL: r.WebhookURL, Secret: r.WebhookSecret.Reveal()})
		} else {
			t, err = triggers.NewLambda(ctx, triggers.LambdaConfig{Region: r.Region, Endpoint: r.Endpoint, FunctionName: r.FunctionName})
		}
		if err != nil {
			return nil, fmt.Errorf("triggers.routes[%d]: %w", i, err)
		}
		opts.Routes = append(opts.Routes, triggers.Route{Pattern: r.ARN, Transport: t})
	}
	return triggers.New(opts)
}
