package console

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
)

// changesPage is how many change-log entries the changes page shows at
// once.
const changesPage = 50

type changesData struct {
	PoolID, PoolName string
	Changes          []directory.PoolChange
	// Older is the query of the next (older) page, "" on the last.
	Older string
}

// poolChanges lists a pool's change-log entries newest first, each with
// who made it: the operator of a console action, the access key of a
// signed API request, the user acting on themselves.
func (c *Console) poolChanges(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	poolID := r.PathValue("pool")
	p := page{Title: "Changes"}
	pool, err := c.opts.Pools.DescribeUserPool(ctx, c.caller(), &idp.DescribeUserPoolRequest{UserPoolId: &poolID})
	if err != nil {
		c.fail(w, r, "error", p, err)
		return
	}
	var before int64
	if s := r.URL.Query().Get("before"); s != "" {
		if before, err = strconv.ParseInt(s, 10, 64); err != nil || before <= 0 {
			c.fail(w, r, "error", p, cognito.InvalidParameterException("before must be a positive sequence number."))
			return
		}
	}
	changes, err := c.opts.Users.PoolChanges(ctx, c.caller(), poolID, before, changesPage)
	if err != nil {
		c.fail(w, r, "error", p, err)
		return
	}
	d := &changesData{PoolID: poolID, PoolName: cognito.Deref(pool.UserPool.Name), Changes: changes}
	if len(changes) == changesPage {
		d.Older = url.Values{"before": {strconv.FormatInt(changes[len(changes)-1].Seq, 10)}}.Encode()
	}
	p.Title, p.Data = "Changes to "+d.PoolName, d
	c.render(w, r, http.StatusOK, "changes", p)
}
