package console

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// replicasData is what a pool's replicas page gets.
type replicasData struct {
	PoolID, PoolName string
	// Region is the console's; Primary the pool's own region, through
	// which replicas are created and deleted.
	Region, Primary string
	Replicas        []replicaRow
	// Replicated is whether this deployment replicates (replication
	// peers configured); Candidates the peers that hold no replica yet.
	Replicated bool
	Candidates []string
	Tags       string
	// Remote is set when the pool belongs to another region.
	Remote bool
}

// replicaRow is a replica as the page lists it.
type replicaRow struct{ Region, Role, Status, ARN string }

// IsPrimaryHere reports whether the console's region is the pool's
// primary region: only there may replicas be created and deleted.
func (d *replicasData) IsPrimaryHere() bool { return d.Region == d.Primary }

// replicas shows a pool's replicas (ListUserPoolReplicas) and, through
// the pool's primary region, creates (CreateUserPoolReplica) and deletes
// (DeleteUserPoolReplica, after the region's name is typed) them; the
// status of a secondary replica changes (UpdateUserPoolReplica) through
// any region that holds the pool.
func (c *Console) replicas(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID := r.PathValue("pool")
	primary := cognito.RegionOfPoolID(poolID)
	d := &replicasData{PoolID: poolID, Region: c.opts.Region, Primary: primary, Replicated: c.opts.Replicas.Replicated(), Remote: primary != c.opts.Region}
	p := page{Title: "Replicas", Data: d}
	desc, err := c.opts.Pools.DescribeUserPool(ctx, cognito.Caller{Region: primary}, &idp.DescribeUserPoolRequest{UserPoolId: &poolID})
	if err != nil {
		c.fail(w, r, "error", page{Title: "Replicas"}, err)
		return
	}
	d.PoolName = cognito.Deref(desc.UserPool.Name)
	p.Title = "Replicas of " + d.PoolName
	load := func() error {
		out, err := c.opts.Replicas.ListUserPoolReplicas(ctx, c.caller(), &idp.ListUserPoolReplicasRequest{UserPoolId: &poolID})
		if err != nil {
			return err
		}
		d.Replicas, d.Candidates = nil, nil
		for _, rep := range out.UserPoolReplicas {
			d.Replicas = append(d.Replicas, replicaRow{Region: cognito.Deref(rep.RegionName), Role: string(cognito.Deref(rep.Role)),
				Status: string(cognito.Deref(rep.Status)), ARN: cognito.Deref(rep.UserPoolArn)})
		}
		for _, peer := range c.opts.Peers {
			held := peer == primary
			for _, rep := range d.Replicas {
				held = held || rep.Region == peer
			}
			if !held {
				d.Candidates = append(d.Candidates, peer)
			}
		}
		return nil
	}
	if err := load(); err != nil {
		c.fail(w, r, "error", page{Title: "Replicas"}, err)
		return
	}
	back := "/console/pools/" + url.PathEscape(poolID) + "/replicas"
	if r.Method == http.MethodGet {
		switch r.URL.Query().Get("done") {
		case "created":
			p.Notice = "The replica was created: its region copies the pool and then sets it ACTIVE."
		case "updated":
			p.Notice = "The replica's status was changed."
		case "deleted":
			p.Notice = "The replica is being deleted: its region removes the pool from its own store."
		}
		c.render(w, r, http.StatusOK, "replicas", p)
		return
	}
	f := formValues{r}
	region := f.s("region")
	var op, done string
	switch f.s("action") {
	case "create":
		op, done = "CreateUserPoolReplica", "created"
		d.Tags = f.raw("tags")
		in := &idp.CreateUserPoolReplicaRequest{UserPoolId: &poolID, RegionName: &region}
		if tags := parseTags(d.Tags); len(tags) > 0 {
			in.UserPoolTags = tags
		}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Replicas.CreateUserPoolReplica(as(ctx, op), c.caller(), in)
		}
	case "status":
		op, done = "UpdateUserPoolReplica", "updated"
		status := idp.UpdateReplicaStatusType(f.s("status"))
		in := &idp.UpdateUserPoolReplicaRequest{UserPoolId: &poolID, RegionName: &region, Status: &status}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Replicas.UpdateUserPoolReplica(as(ctx, op), c.caller(), in)
		}
	case "delete":
		op, done = "DeleteUserPoolReplica", "deleted"
		if f.s("confirm") != region {
			err = cognito.InvalidParameterException("Type the replica's region to confirm the deletion.")
			break
		}
		in := &idp.DeleteUserPoolReplicaRequest{UserPoolId: &poolID, RegionName: &region}
		if err = in.Validate(); err == nil {
			_, err = c.opts.Replicas.DeleteUserPoolReplica(as(ctx, op), c.caller(), in)
		}
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		c.fail(w, r, "replicas", p, err, "confirm", "RegionName", "Region", "UserPoolTags")
		return
	}
	c.audit(r, op, "pool", poolID, "region", region)
	http.Redirect(w, r, back+"?done="+done, http.StatusSeeOther)
}

// regionPools is one other region's pools, as the regions page lists
// them.
type regionPools struct {
	Region string
	Pools  []idp.UserPoolDescriptionType
	More   bool
	Error  string
}

// regionsData is what the regions page gets.
type regionsData struct {
	Region     string
	Replicated bool
	Others     []regionPools
	// Pool is a pool of another region, shown read-only; Primary is its
	// region.
	Pool    *idp.UserPoolType
	Primary string
}

// regions lists the pools of every other region the server knows (the
// replication peers and the regions it accepts), 60 each: pools this
// region holds a copy of (replicated here), which it serves under their
// own region. They are shown read-only: their settings are changed
// through their own region's console or API.
func (c *Console) regions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := &regionsData{Region: c.opts.Region, Replicated: c.opts.Replicas.Replicated()}
	for _, region := range c.opts.Regions {
		if region == c.opts.Region {
			continue
		}
		rp := regionPools{Region: region}
		out, err := c.opts.Pools.ListUserPools(ctx, cognito.Caller{Region: region}, &idp.ListUserPoolsRequest{MaxResults: cognito.Ptr(int32(60))})
		if err != nil {
			_, rp.Error = message(err)
		} else {
			rp.Pools, rp.More = out.UserPools, cognito.Deref(out.NextToken) != ""
		}
		d.Others = append(d.Others, rp)
	}
	c.render(w, r, http.StatusOK, "regions", page{Title: "Regions", Data: d})
}

// regionPool shows a pool of another region read-only (DescribeUserPool
// in the pool's own region).
func (c *Console) regionPool(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	region, poolID := r.PathValue("region"), r.PathValue("pool")
	if !slices.Contains(c.opts.Regions, region) || cognito.RegionOfPoolID(poolID) != region {
		http.NotFound(w, r)
		return
	}
	desc, err := c.opts.Pools.DescribeUserPool(ctx, cognito.Caller{Region: region}, &idp.DescribeUserPoolRequest{UserPoolId: &poolID})
	if err != nil {
		c.fail(w, r, "error", page{Title: "User pool"}, err)
		return
	}
	d := &regionsData{Region: c.opts.Region, Replicated: c.opts.Replicas.Replicated(), Pool: desc.UserPool, Primary: region}
	c.render(w, r, http.StatusOK, "regionpool", page{Title: "User pool " + cognito.Deref(desc.UserPool.Name), Data: d})
}
