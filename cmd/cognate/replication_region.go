package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// replicationRegionSetting names the store's setting that records the
// region the store replicates as, from the first time a server of it
// joined the topology.
const replicationRegionSetting = "replication_region"

// checkReplicationRegion refuses a server whose region is not the one its
// store replicates as. Every change a server writes is recorded under its
// own region, and the region's replicating node publishes only the
// changes recorded under the region it replicates as: a node of a
// PostgreSQL region whose region was left at its default (us-east-1), with
// or without replication configured, would write changes the other
// regions never receive. It runs before the server writes anything.
func checkReplicationRegion(ctx context.Context, st storage.Settings, region string) error {
	recorded, err := replicationRegion(ctx, st)
	if err != nil || recorded == "" || recorded == region {
		return err
	}
	return fmt.Errorf("region: this server is configured as region %s (region, or COGNATE_REGION; us-east-1 when neither is set), "+
		"but its store replicates as region %s, which a server of the store recorded when it joined the topology: the changes "+
		"this server wrote would be recorded as %s's and never reach the other regions, so the server does not start. "+
		"Set region to %s on every server of this store. Nothing was written; the data is untouched", region, recorded, region, recorded)
}

// recordReplicationRegion records region as the one the store replicates
// as, once this server has joined the topology under it; a region already
// recorded stays (checkReplicationRegion has compared it).
func recordReplicationRegion(ctx context.Context, st storage.Settings, region string, now time.Time) error {
	v, err := json.Marshal(region)
	if err != nil {
		return err
	}
	err = st.CreateSetting(ctx, &storage.Setting{Name: replicationRegionSetting, Value: v, UpdatedAt: now})
	if err != nil && !errors.Is(err, storage.ErrAlreadyExists) {
		return fmt.Errorf("record the store's replication region: %w", err)
	}
	return nil
}

// replicationRegion returns the region the store replicates as, or "" when
// no server of it has joined a topology.
func replicationRegion(ctx context.Context, st storage.Settings) (string, error) {
	s, err := st.GetSetting(ctx, replicationRegionSetting)
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the store's replication region: %w", err)
	}
	var region string
	if err := json.Unmarshal(s.Value, &region); err != nil || region == "" {
		return "", fmt.Errorf("the store's %s setting is damaged: %q", replicationRegionSetting, s.Value)
	}
	return region, nil
}
