package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/storage"
)

// runReplicationConflicts lists the users of this region's store that gave
// up a unique key to a user made earlier in another region
// (docs/regions.md#the-same-username-in-two-regions), with what each gave
// up, from their records. It opens the region's store: a SQLite region's
// server must be stopped, a PostgreSQL one may run.
func runReplicationConflicts(ctx context.Context, e env, args []string) int {
	const name = "replication conflicts"
	cfg, warnings, code, ok := loadConfig(name, e, args)
	if !ok {
		return code
	}
	printWarnings(e.stderr, warnings)
	fs, _ := configFlagSet(name, io.Discard)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	asJSON := fs.Lookup("json").Value.String() == "true"
	only := fs.Lookup("pool").Value.String()
	fail := func(format string, args ...any) int {
		fmt.Fprintf(e.stderr, "cognate replication conflicts: "+format+"\n", args...)
		return exitError
	}
	st, desc, err := openStore(ctx, cfg)
	if err != nil {
		return fail("%v", err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return fail("migrate %s: %v", desc, err)
	}
	var pools []string
	if only != "" {
		if _, err := st.GetUserPool(ctx, only); err != nil {
			return fail("user pool %s: %v", only, err)
		}
		pools = []string{only}
	} else {
		for after := ""; ; {
			page, err := st.ListUserPools(ctx, storage.ListUserPoolsInput{AfterID: after, Limit: 100})
			if err != nil {
				return fail("list the user pools: %v", err)
			}
			for _, p := range page {
				pools = append(pools, p.ID)
			}
			if len(page) < 100 {
				break
			}
			after = page[len(page)-1].ID
		}
	}
	losers := []directory.ConflictLoser{}
	for _, p := range pools {
		if err := directory.ConflictLosers(ctx, st, p, func(l directory.ConflictLoser) error {
			losers = append(losers, l)
			return nil
		}); err != nil {
			return fail("%v", err)
		}
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Region string                    `json:"region"`
			Losers []directory.ConflictLoser `json:"losers"`
		}{cfg.Region, losers}); err != nil {
			return fail("%v", err)
		}
		return exitOK
	}
	read := fmt.Sprintf("%d pools read", len(pools))
	if len(pools) == 1 {
		read = "1 pool read"
	}
	fmt.Fprintf(e.stdout, "region %s: %d users gave up a unique key to a user made first in another region (%s)\n",
		cfg.Region, len(losers), read)
	if len(losers) == 0 {
		return exitOK
	}
	fmt.Fprintln(e.stdout)
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "POOL\tSUB\tUSERNAME\tENABLED\tGAVE UP\tKEPT BY\tREMOVED")
	for _, l := range losers {
		enabled := "no"
		if l.Enabled {
			enabled = "yes"
		}
		removed := []string{}
		for _, a := range slices.Sorted(maps.Keys(l.RemovedAttributes)) {
			removed = append(removed, a+"="+l.RemovedAttributes[a])
		}
		for _, id := range l.UnlinkedIdentities {
			removed = append(removed, "identity "+id)
		}
		if len(removed) == 0 {
			removed = append(removed, "-")
		}
		for i, g := range l.GaveUp {
			if i == 0 {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Pool, l.Sub, l.Username, enabled, g.Key, g.KeptBy, strings.Join(removed, ", "))
				continue
			}
			fmt.Fprintf(w, "\t\t\t\t%s\t%s\t\n", g.Key, g.KeptBy)
		}
	}
	if err := w.Flush(); err != nil {
		return fail("%v", err)
	}
	return exitOK
}
