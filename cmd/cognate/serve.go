package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/api"
	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cluster"
	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/console"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/geoip"
	"github.com/cognate-dev/cognate/internal/identitypool"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/mfa"
	"github.com/cognate-dev/cognate/internal/oidc"
	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/replication"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/sts/local"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// runServe loads the configuration, opens and migrates the store, wires
// the engines, the API and the HTTP server, prints the start-up screen and
// serves until ctx is done.
func runServe(ctx context.Context, e env, args []string) int {
	cfg, warnings, code, ok := loadConfig("serve", e, args)
	if !ok {
		return code
	}
	log := newLogger(cfg.Log, e.stderr)
	for _, w := range warnings {
		log.Warn("deprecated config key", "warning", w)
	}
	if err := serve(ctx, cfg, e, log); err != nil {
		log.Error("cognate stopped", "error", err.Error())
		return exitError
	}
	return exitOK
}

func serve(ctx context.Context, cfg *config.Config, e env, log *slog.Logger) error {
	log.Info("starting", "version", version, "config", *cfg)
	if cfg.AcceptAnySignature {
		log.Warn("accept_any_signature is on: requests are not authenticated (development only)")
	}

	creds, credsFrom, err := adminCredentials(cfg, e, log)
	if err != nil {
		return err
	}
	if credsFrom.path != "" && cfg.Backend() == config.BackendPostgres {
		// Nodes sharing a store must share the pair (docs/configuration.md):
		// a node with a pair of its own refuses the others' signed requests
		// and NextTokens.
		log.Warn("the admin key pair is this node's own, kept in its data directory: every node sharing the PostgreSQL database "+
			"must have the same pair; configure admin.access_key_id and admin.secret_access_key (or COGNATE_ACCESS_KEY_ID and "+
			"COGNATE_SECRET_ACCESS_KEY) on every node", "path", credsFrom.path, "access_key_id", creds.AccessKeyID)
	}

	st, storeDesc, err := openStoreWith(ctx, cfg, storeOptions{readCache: true, log: log})
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", storeDesc, err)
	}
	log.Info("store ready", "store", storeDesc, "migrations_applied", n)
	// Superseded states and tombstones leave the change log once older
	// than the retention (docs/security.md).
	compactCtx, stopCompacting := context.WithCancel(ctx)
	compacted := make(chan struct{})
	go func() {
		defer close(compacted)
		compactChangeLog(compactCtx, st, cfg.ChangeLog.Retention.Duration(), cfg.ChangeLog.CompactionInterval.Duration(), log)
	}()
	defer func() { stopCompacting(); <-compacted }()

	// Check the keys against the store before anything is sealed with
	// them: a server with another key than its peers must not start.
	keys, err := encryptionKeys(cfg, log)
	if err != nil {
		return err
	}
	if err := checkKeys(ctx, st, keys, log); err != nil {
		return err
	}
	// A store that replicates as one region takes servers of that region
	// only, replication on or off: another region's changes would never
	// be published.
	if err := checkReplicationRegion(ctx, st, cfg.Region); err != nil {
		return err
	}

	// Listen first: the URL clients reach is the default token issuer.
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	endpoint := endpointURL(cfg.Listen, ln.Addr())
	if cfg.TLS.On() {
		// cognate serves HTTPS itself: every connection is TLS, and the
		// URL clients reach (and the default issuer) is https.
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		endpoint = "https://" + strings.TrimPrefix(endpoint, "http://")
	}
	if cfg.PprofListen != "" {
		_, stop, err := startPprof(ctx, cfg.PprofListen, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
	}
	issuer, err := issuerBaseURL(ctx, cfg, st, endpoint, log)
	if err != nil {
		ln.Close()
		return err
	}

	metrics := server.NewMetrics()
	var report func() map[string]any
	if cfg.Replication.On() {
		// A region that disagrees with its peers (another key, issuer or
		// store under its name) refuses to start before it writes.
		stopReplication, replicationReport, err := startReplication(ctx, cfg, st, keys.master, issuer, metrics, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopReplication()
		report = replicationReport
	}

	// One Hasher for every engine, so that one cap on the expensive
	// computations holds for the whole process.
	passwords, err := password.New(password.Config{Params: passwordParams(cfg.PasswordHashing)})
	if err != nil {
		return fmt.Errorf("password_hashing: %w", err)
	}

	outbox := messaging.NewOutbox(messaging.OutboxOptions{Logger: log})
	sender, err := messaging.NewRouter(messagingConfig(cfg, metrics), outbox, log)
	if err != nil {
		return fmt.Errorf("messaging: %w", err)
	}
	verifiers, err := srp.NewVerifiers(keys.master, keys.previous...)
	if err != nil {
		return err
	}
	signingKeys := keys.keys().Derive(signingKeysLabel)
	clientSecretKeys := keys.keys().Derive(userpool.KeyLabelClientSecrets)
	tokenService, err := tokens.New(tokens.Options{Store: st, IssuerBaseURL: issuer,
		KeyEncryptionKey: signingKeys.Current, PreviousKeyEncryptionKeys: signingKeys.Previous})
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	// The bucket of import uploads, when one is configured.
	var importObjects directory.ImportObjects
	if b := cfg.UserImport.S3; b.Bucket != "" {
		o, err := directory.NewS3ImportObjects(directory.S3ImportConfig{Bucket: b.Bucket, KeyPrefix: b.KeyPrefix,
			Region: b.Region, Endpoint: b.Endpoint, UsePathStyle: b.PathStyle})
		if err != nil {
			return err
		}
		importObjects = o
	}
	// The destinations of the pools' exported logs
	// (SetLogDeliveryConfiguration).
	logExporter, err := logExporter(cfg.LogDelivery, metrics, log)
	if err != nil {
		return fmt.Errorf("log_delivery: %w", err)
	}
	defer logExporter.Close()
	pools := userpool.New(st, userpool.Options{
		LogExporter:   logExporter,
		AccountID:     cfg.AccountID,
		Logger:        log,
		PaginationKey: paginationKey(creds.SecretAccessKey.Reveal()),
		// App-client secrets are sealed at rest with their own key.
		ClientSecretKey:          clientSecretKeys.Current,
		ClientSecretPreviousKeys: clientSecretKeys.Previous,
		// The social providers' endpoints, where the configuration
		// replaces the documented ones.
		ProviderEndpoints: cfg.Federation.Endpoints,
		// The classic hosted UI's logos are served under the issuer
		// (oidc.NewUILogoHandler).
		AssetBaseURL: issuer,
	})
	invoker, err := newTriggers(ctx, cfg.Triggers, metrics, log)
	if err != nil {
		return err
	}
	breached, err := breachedPasswords(cfg.ThreatProtection.BreachedPasswords)
	if err != nil {
		return fmt.Errorf("threat_protection.breached_passwords: %w", err)
	}
	// The made-up answers about users that do not exist are keyed by keys
	// the store keeps, sealed: the same on every node, and after a key
	// rotation, as a real user's answers are.
	existence, err := cluster.LoadExistenceKeys(ctx, st, keys.keys(), cluster.ExistenceKeys{
		Delivery: seal.DeriveKey(keys.master, directory.KeyLabelCodes), SignIn: authflow.FakeKeyOf(keys.master),
	}, time.Now())
	if err != nil {
		return err
	}
	users := directory.New(st, pools, directory.Options{
		Breached:      breached,
		Triggers:      invoker,
		Logger:        log,
		Sender:        sender,
		IssuerBaseURL: issuer,
		SRPVerifiers:  verifiers,
		// One-time codes are kept as MACs under a key not in the store;
		// codes sent before a key rotation are refused after it.
		CodeKey:      seal.DeriveKey(keys.master, directory.KeyLabelCodes),
		ExistenceKey: existence.Delivery,
		Passwords:    passwords,
		// Imported password hashes are sealed, and upload URLs signed,
		// with keys of their own.
		ImportKeys:        keys.keys().Derive(directory.KeyLabelImport),
		ImportMaxCSVBytes: cfg.UserImport.MaxCSVBytes,
		ImportMaxUsers:    cfg.UserImport.MaxUsersPerFile,
		ImportURLValidity: cfg.UserImport.UploadURLValidity.Duration(),
		ImportObjects:     importObjects,
		ImportLog:         logExporter,
	})
	// Import jobs that were running when the server stopped go on where
	// their last batch ended; the jobs stop with the server.
	importCtx, stopImports := context.WithCancel(ctx)
	defer func() { stopImports(); users.WaitImports() }()
	if err := users.RunImports(importCtx); err != nil {
		return err
	}
	// Stores written before client secrets were sealed keep them in the
	// clear: seal them all, in one transaction, before serving.
	if n, err := pools.SealClientSecrets(ctx); err != nil {
		return fmt.Errorf("seal app-client secrets: %w", err)
	} else if n > 0 {
		log.Info("sealed app-client secrets kept in the clear", "clients", n)
	}
	var geo *geoip.DB
	if path := cfg.ThreatProtection.GeoIPDatabase; path != "" {
		if geo, err = geoip.Open(path); err != nil {
			return fmt.Errorf("threat_protection.geoip_database: %w", err)
		}
		defer geo.Close()
	}
	signIn, err := authflow.New(authflow.Options{Pools: pools, Users: users, Tokens: tokenService, Store: st, DomainPattern: cfg.HostedUI.DomainPattern,
		Key: keys.master, PreviousKeys: keys.previous, Logger: log, Passwords: passwords, Triggers: invoker,
		Region: sharedLockoutRegion(cfg), GeoIP: geo, FakeKey: existence.SignIn})
	if err != nil {
		return err
	}
	totpSecrets, err := mfa.NewSecrets(keys.master, keys.previous...)
	if err != nil {
		return err
	}
	// During a key rotation, seal again in the background what is still
	// sealed with a previous key.
	defer startResealing(ctx, st, keys, []cluster.ItemResealer{
		{Kind: tokens.KeyItemKind, Reseal: tokenService.ResealSigningKey},
		{Kind: directory.UserItemKind, Reseal: directory.ResealUserSecrets(verifiers.Reseal, totpSecrets.Reseal)},
		{Kind: userpool.ClientItemKind, Reseal: pools.ResealClientSecret},
		{Kind: userpool.IdentityProviderItemKind, Reseal: pools.ResealIdentityProvider},
		{Kind: userpool.SigningCertificateItemKind, Reseal: pools.ResealSigningCertificate},
		{Kind: authflow.DeviceItemKind, Reseal: signIn.ResealDeviceVerifier},
	}, log)()
	// cognate's own STS trusts the identity pools' OpenID tokens, and
	// checks their signatures in process.
	ownSTS, err := newLocalSTS(cfg, st, keys, local.TrustedIssuer{
		URL: identitypool.IssuerURL(issuer), KeySet: identitypool.KeySet{Tokens: tokenService},
		Trusts: local.IdentityPoolTrust(func(ctx context.Context, poolID string) (string, error) {
			return identitypool.UnauthenticatedRole(ctx, st, poolID)
		}),
	})
	if err != nil {
		return err
	}
	credentials, err := credentialIssuer(cfg, ownSTS)
	if err != nil {
		return err
	}
	samlProviders, err := identitySAMLProviders(cfg.IdentityPools)
	if err != nil {
		return err
	}
	var peers []string
	if cfg.Replication.On() {
		peers = cfg.Replication.Peers
	}
	replicas := replication.NewReplicas(replication.ReplicasOptions{Store: st, Region: cfg.Region, Peers: peers,
		DefaultPoolRegions: cfg.Replication.DefaultPoolRegions, AccountID: cfg.AccountID})
	// Identity pools trade user-pool and other logins for credentials.
	identities := identitypool.New(st, identitypool.Options{
		EndUsers:               replicas.ServesEndUsers,
		AccountID:              cfg.AccountID,
		Logger:                 log,
		Tokens:                 tokenService,
		Pools:                  pools,
		Users:                  users,
		IssuerBaseURL:          issuer,
		Revocation:             signIn,
		PaginationKey:          paginationKey(creds.SecretAccessKey.Reveal()),
		OpenIDConnectProviders: oidcProviders(cfg.IdentityPools),
		SAMLProviders:          samlProviders,
		Credentials:            credentials,
	})
	log.Info("security token service", "sts_mode", cfg.STS.Mode, "sts_endpoint", cfg.STS.Endpoint, "sts_trusted_issuers", ownSTS.Issuers())
	limits, err := rateLimiter(cfg.RateLimits)
	if err != nil {
		return fmt.Errorf("rate_limits: %w", err)
	}
	// The provisioned limits (UpdateProvisionedLimit) are in the store:
	// read them now and now and then, so that every node enforces what
	// any node set.
	if _, err := pools.LoadProvisionedLimits(ctx, limits); err != nil {
		return err
	}
	defer refreshProvisionedLimits(ctx, pools, limits, log)()
	protection, proxies, err := protectiveLimits(cfg.RateLimits)
	if err != nil {
		return fmt.Errorf("rate_limits: %w", err)
	}
	apiHandler := api.NewHandler(api.Options{
		Pools:              pools,
		Replicas:           replicas,
		Users:              users,
		Passwords:          passwords,
		Auth:               signIn,
		Identities:         identities,
		AccountID:          cfg.AccountID,
		Regions:            cfg.Regions,
		Credentials:        map[string]string{creds.AccessKeyID: creds.SecretAccessKey.Reveal()},
		AcceptAnySignature: cfg.AcceptAnySignature,
		MaxBodyBytes:       cfg.MaxBodyBytes,
		Logger:             log,
		Observer:           metrics,
		RateLimits:         limits,
		AllowedOrigins:     cfg.CORS.AllowedOrigins,
		Protection:         protection,
		TrustedProxies:     proxies,
		STS:                ownSTS,
	})
	routes := http.NewServeMux()
	// The development outbox is readable only while it is the sole sender,
	// and only by the operator: its codes take over accounts.
	outboxAt, err := serveOutbox(ctx, cfg, ln.Addr(), endpoint, creds, outbox, sender, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer outboxAt.stop()
	if outboxAt.handler != nil {
		routes.Handle(messaging.OutboxPath, outboxAt.handler)
	}
	// The pools' domains: the hosted UI and the OAuth 2.0 endpoints, found
	// by Host or under /_domain/<prefix>/, before anything else.
	hostedUI, err := oidc.New(oidc.Options{
		Pools: pools, Users: users, Auth: signIn, IssuerBaseURL: issuer,
		DomainPattern: cfg.HostedUI.DomainPattern, PublicForm: cfg.HostedUI.PublicForm,
		TrustedProxies: proxies, Protection: protection, Replicas: replicas,
		Key: seal.DeriveKey(keys.master, "hosted-ui"), Logger: log,
	})
	if err != nil {
		ln.Close()
		return err
	}
	wellKnown := hostedUI.WellKnown(tokenService, func(ctx context.Context, poolID string) bool {
		_, err := st.GetUserPool(ctx, poolID)
		return err == nil
	})
	routes.Handle("GET /{pool}/.well-known/", wellKnown)
	routes.Handle(oidc.UILogoPattern, oidc.NewUILogoHandler(pools))
	routes.Handle("GET "+identitypool.IdentityIssuerPath+"/.well-known/", oidc.NewIdentityWellKnownHandler(identities))
	routes.Handle("/", apiHandler)
	top := hostedUI.Wrap(routes)
	served := top
	consoleURL := ""
	if cfg.Console.On() {
		// The console signs operators in through the administrators'
		// pool's hosted UI; its token request and key fetch are served in
		// process by the same handler as any client's.
		con, err := console.New(console.Options{
			Pools: pools, Users: users, Auth: signIn, Identities: identities, Replicas: replicas,
			Regions: knownRegions(cfg.Region, peers, cfg.Regions), Peers: peers, Region: cfg.Region, BaseURL: issuer, IssuerBaseURL: issuer,
			Transport: console.HandlerTransport{Handler: top}, Key: seal.DeriveKey(keys.master, "console"),
			Secure: cfg.TLS.On(), PoolBase: hostedUI.PoolBase, Logger: log, BrandingPreview: brandingPreview,
		})
		if err != nil {
			ln.Close()
			return err
		}
		if err := con.Start(ctx); err != nil {
			// A refused callback URL (plain HTTP to a host other than
			// the local machine) leaves the rest of cognate serving.
			log.Error("the admin console is not served", "error", err.Error())
		} else {
			served = con.Wrap(top)
			consoleURL = issuer + console.PathPrefix
			if a := con.AdminPool(); a != nil {
				log.Info("admin console", "url", issuer+console.PathPrefix, "admin_pool", a.PoolID)
			} else {
				log.Info("admin console", "url", issuer+console.PathPrefix, "admin_pool", "none yet: cognate console add-admin makes it with the first operator")
			}
		}
	}
	srv := server.New(server.Options{
		Listen:          cfg.Listen,
		API:             served,
		Ready:           st.Ping,
		Report:          report,
		Logger:          log,
		Metrics:         metrics,
		ShutdownTimeout: cfg.ShutdownTimeout.Duration(),
	})
	printScreen(e.stdout, screen{
		endpoint:  endpoint,
		bound:     boundAddress(cfg.Listen, ln.Addr()),
		loopback:  loopbackAddr(ln.Addr()),
		issuer:    issuer,
		store:     storeDesc,
		keyID:     creds.AccessKeyID,
		secret:    shownSecret(creds, credsFrom),
		credsFrom: credsFrom,
		region:    cfg.Region,
		anySig:    cfg.AcceptAnySignature,
		outbox:    outboxAt,
		console:   consoleURL,
	})
	log.Info("listening", "address", ln.Addr().String(), "url", endpoint, "access_key_id", creds.AccessKeyID)
	// A newer cognate migrating the store (a rolling upgrade's new node)
	// stops this one: its writes would follow the old layout.
	serveCtx, stopServing := context.WithCancelCause(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		watchSchema(serveCtx, st, schemaCheckEvery, log, stopServing)
	}()
	err = srv.Serve(serveCtx, ln)
	stopServing(nil)
	<-watched
	if cause := context.Cause(serveCtx); errors.Is(cause, storage.ErrSchemaNewer) {
		return cause
	}
	return err
}

// schemaCheckEvery is how often a running server reads its store's
// schema_migrations (storage.SchemaGuard). On PostgreSQL a node with the
// read cache hears another node's migration at once; this is the bound
// for the others.
const schemaCheckEvery = 10 * time.Second

// watchSchema checks st's schema every interval until ctx ends. Once a
// newer release has migrated the store, st refuses every write; watchSchema
// then logs why at error level and calls stop with the error, which shuts
// the server down, and serve returns it (the process exits non-zero; a
// restart of this binary refuses the store, as Migrate does).
func watchSchema(ctx context.Context, st storage.SchemaGuard, interval time.Duration, log *slog.Logger, stop context.CancelCauseFunc) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := st.CheckSchema(ctx)
		switch {
		case errors.Is(err, storage.ErrSchemaNewer):
			log.Error("a newer cognate migrated the store: this server refuses every write and stops; "+
				"upgrade it to the release that migrated the store (see docs/operations.md, Upgrading)", "err", err)
			stop(err)
			return
		case err != nil && ctx.Err() == nil:
			log.Warn("check the store's schema", "err", err)
		}
	}
}

// oidcProviders maps identity_pools.openid_connect_providers onto the
// identity-pool engine's options.
func oidcProviders(c config.IdentityPoolsConfig) map[string]identitypool.OIDCProvider {
	out := map[string]identitypool.OIDCProvider{}
	for name, p := range c.OpenIDConnectProviders {
		out[name] = identitypool.OIDCProvider{Issuer: p.Issuer, ClientIDs: p.ClientIDs}
	}
	return out
}

// identitySAMLProviders maps identity_pools.saml_providers onto the
// identity-pool engine's options, reading each metadata_file now.
func identitySAMLProviders(c config.IdentityPoolsConfig) (map[string]identitypool.SAMLProvider, error) {
	out := map[string]identitypool.SAMLProvider{}
	for name, p := range c.SAMLProviders {
		sp := identitypool.SAMLProvider{MetadataURL: p.MetadataURL, Audience: p.Audience}
		if p.MetadataFile != "" {
			raw, err := os.ReadFile(p.MetadataFile)
			if err != nil {
				return nil, fmt.Errorf("identity_pools.saml_providers.%s.metadata_file: %w", name, err)
			}
			sp.Metadata = raw
		}
		out[name] = sp
	}
	return out, nil
}

// rateLimiter maps the rate_limits block onto the emulation of Cognito's
// quotas, off unless rate_limits.quotas is set.
// passwordParams are the argon2id parameters of the password_hashing
// block.
func passwordParams(h config.PasswordHashingConfig) password.Params {
	return password.Params{MemoryKiB: h.MemoryKiB, Iterations: h.Iterations, Parallelism: h.Parallelism}
}

func rateLimiter(rl config.RateLimitsConfig) (*ratelimit.Limiter, error) {
	rates := map[ratelimit.Category]float64{}
	for name, r := range rl.Categories {
		rates[ratelimit.Category(name)] = r
	}
	return ratelimit.New(ratelimit.Config{Disabled: !rl.QuotasOn(), Scale: rl.Scale, Rates: rates})
}

// credsSource says where the admin key pair came from, which decides what
// the start-up screen may show of it.
type credsSource struct {
	// generated is true on the start that generated the pair into path:
	// the only time the screen shows the secret.
	generated bool
	// path is the file the pair was generated into or read from; empty
	// when it was configured.
	path string
	// secretEnv names the environment variable the configured secret came
	// from; empty when it came from the configuration file.
	secretEnv string
	// configured describes a configured pair: "from the environment" or
	// "from the configuration file".
	configured string
}

// protectiveLimits maps the rate_limits block onto the protective limits
// per user and per client address, and the proxies whose forwarding
// headers name the client.
func protectiveLimits(rl config.RateLimitsConfig) (*ratelimit.Guard, ratelimit.TrustedProxies, error) {
	proxies, err := ratelimit.ParseTrustedProxies(rl.TrustedProxies)
	if err != nil {
		return nil, ratelimit.TrustedProxies{}, err
	}
	g, err := ratelimit.NewGuard(ratelimit.GuardConfig{PerUser: rl.Limit(rl.PerUser), PerAddress: rl.Limit(rl.PerAddress)})
	return g, proxies, err
}

// adminCredentials returns the admin key pair and where it came from: the
// configuration, or else the file under the data directory, generated on
// first start.
func adminCredentials(cfg *config.Config, e env, log *slog.Logger) (config.AdminConfig, credsSource, error) {
	if !cfg.Admin.IsZero() {
		vars := config.EnvVars()
		src := credsSource{configured: "from the configuration file"}
		if e.getenv(vars["admin.access_key_id"]) != "" {
			src.configured = "from the environment"
		}
		if name := vars["admin.secret_access_key"]; e.getenv(name) != "" {
			src.secretEnv = name
		}
		return cfg.Admin, src, nil
	}
	creds, created, err := config.LoadOrCreateAdminCredentials(cfg.DataDir, rand.Reader)
	if err != nil {
		return config.AdminConfig{}, credsSource{}, err
	}
	path := cfg.AdminCredentialsPath()
	if created {
		log.Info("generated admin credentials", "path", path, "access_key_id", creds.AccessKeyID)
	}
	return creds, credsSource{generated: created, path: path}, nil
}

// endpointURL is the URL clients use: the configured host (localhost for
// a wildcard address) with the port actually bound, which differs from the
// configured one when that is 0.
func endpointURL(listen string, bound net.Addr) string {
	host, _, _ := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	_, port, _ := net.SplitHostPort(bound.String())
	return "http://" + net.JoinHostPort(host, port)
}

// screen is what the start-up screen shows.
type screen struct {
	endpoint, store string
	// bound is the address the listener is bound to; loopback says
	// whether it is a loopback one.
	bound    string
	loopback bool
	// issuer is the base of the iss claim of the tokens this server mints.
	issuer        string
	keyID, secret string
	credsFrom     credsSource
	region        string
	anySig        bool
	outbox        outboxPlan
	// console is the admin console's URL; empty when it is not served.
	console string
}

// printScreen writes the start-up screen. It shows the admin secret only
// on the start that generated it (the log never has it): standard output
// is often kept (journald, container logs), so a secret loaded from the
// data directory or configured by the operator is never printed; the
// screen says where it is instead, and the try line reads it from there.
func printScreen(w io.Writer, s screen) {
	var b strings.Builder
	fmt.Fprintf(&b, "cognate %s ready\n", version)
	fmt.Fprintf(&b, "  listening   %s\n", s.endpoint)
	fmt.Fprintf(&b, "  bound to    %s\n", s.bound)
	fmt.Fprintf(&b, "  issuer      %s/<pool ID>\n", s.issuer)
	fmt.Fprintf(&b, "  store       %s\n", s.store)
	secretRef := ""
	switch c := s.credsFrom; {
	case c.generated:
		fmt.Fprintf(&b, "  access key  %s   secret  %s   (generated into %s; shown this once)\n", s.keyID, s.secret, c.path)
		secretRef = secretFromFile(c.path)
	case c.path != "":
		fmt.Fprintf(&b, "  access key  %s   (secret in %s)\n", s.keyID, c.path)
		secretRef = secretFromFile(c.path)
	case c.secretEnv != "":
		fmt.Fprintf(&b, "  access key  %s   (%s)\n", s.keyID, c.configured)
		secretRef = `"$` + c.secretEnv + `"`
	default:
		fmt.Fprintf(&b, "  access key  %s   (%s)\n", s.keyID, c.configured)
		secretRef = "'<admin.secret_access_key>'"
	}
	if s.outbox.handler != nil {
		fmt.Fprintf(&b, "  outbox      %s   (no mail or SMS sender: codes readable %s)\n", s.outbox.readAt, s.outbox.who)
	}
	if s.outbox.own != "" {
		fmt.Fprintf(&b, "  outbox      %s   (its own listener)\n", s.outbox.own)
	}
	if s.console != "" {
		fmt.Fprintf(&b, "  console     %s   (operators: cognate console add-admin)\n", s.console)
	}
	if s.anySig {
		fmt.Fprintf(&b, "  warning     accept_any_signature is on: any signature is accepted (development only)\n")
	}
	if loopbackURL(s.issuer) && !s.loopback {
		fmt.Fprintf(&b, "  warning     the token issuer %s is a loopback address, but the server listens on %s: "+
			"clients on other machines cannot reach it to fetch the signing keys; set issuer_base_url to the URL they use\n", s.issuer, s.bound)
	}
	fmt.Fprintf(&b, "  try         AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s aws cognito-idp list-user-pools --max-results 10 --endpoint-url %s --region %s\n",
		shellQuote(s.keyID), secretRef, s.endpoint, s.region)
	io.WriteString(w, b.String())
}

// boundAddress is the address the listener is bound to, as host:port. A
// wildcard host is shown as configured (0.0.0.0 or ::, all interfaces),
// with the port actually bound, since Go reports both as [::].
func boundAddress(listen string, bound net.Addr) string {
	host, _, _ := net.SplitHostPort(listen)
	_, port, _ := net.SplitHostPort(bound.String())
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if host == "" {
			host = "0.0.0.0"
		}
		return net.JoinHostPort(host, port)
	}
	return bound.String()
}

// loopbackURL reports whether the host of URL u is localhost or a
// loopback IP address.
func loopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	return loopbackHost(p.Hostname())
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// shownSecret is the secret the screen may show: only one just generated.
func shownSecret(creds config.AdminConfig, from credsSource) string {
	if !from.generated {
		return ""
	}
	return creds.SecretAccessKey.Reveal()
}

// secretFromFile is a POSIX shell command substitution that reads the
// secret from the admin credentials file at path, so that the try line
// works without the secret being printed.
func secretFromFile(path string) string {
	return `"$(sed -n 's/.*"secret_access_key": *"\(.*\)".*/\1/p' ` + shellQuote(path) + `)"`
}

// shellQuote quotes s for a POSIX shell when it holds anything beyond the
// letters, digits and punctuation a generated key uses.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.:,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runMigrate applies pending migrations and reports how many it applied.
func runMigrate(ctx context.Context, e env, args []string) int {
	cfg, warnings, code, ok := loadConfig("migrate", e, args)
	if !ok {
		return code
	}
	log := newLogger(cfg.Log, e.stderr)
	for _, w := range warnings {
		log.Warn("deprecated config key", "warning", w)
	}
	st, desc, err := openStore(ctx, cfg)
	if err != nil {
		log.Error("migrate failed", "error", err.Error())
		return exitError
	}
	defer st.Close()
	n, err := st.Migrate(ctx)
	if err != nil {
		log.Error("migrate failed", "store", desc, "error", err.Error())
		return exitError
	}
	fmt.Fprintf(e.stdout, "applied %d %s to %s\n", n, plural(n, "migration", "migrations"), desc)
	return exitOK
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// paginationKey derives the key that signs pagination tokens from the admin
// secret, so that every node sharing the admin key pair (and every restart)
// accepts the tokens the others issued, and a changed secret invalidates
// them.
func paginationKey(adminSecret string) []byte {
	m := hmac.New(sha256.New, []byte(adminSecret))
	m.Write([]byte("cognate pagination tokens v1"))
	return m.Sum(nil)
}

// messagingConfig maps the messaging block of the configuration onto the
// senders; a block left empty is not used.
func messagingConfig(cfg *config.Config, observer messaging.Observer) messaging.Config {
	mc := messaging.Config{Observer: observer}
	if s := cfg.Messaging.SMTP; s.Enabled() {
		mc.SMTP = &messaging.SMTPConfig{Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password.Reveal(),
			From: s.From, TLS: s.TLS, Timeout: s.Timeout.Duration()}
	}
	if a := cfg.Messaging.SES; a.Enabled() {
		mc.SES = &messaging.SESConfig{Region: a.Region, Endpoint: a.Endpoint}
	}
	if a := cfg.Messaging.SNS; a.Enabled() {
		mc.SNS = &messaging.SNSConfig{Region: a.Region, Endpoint: a.Endpoint}
	}
	if w := cfg.Messaging.SMSWebhook; w.Enabled() {
		mc.SMSWebhook = &messaging.WebhookConfig{URL: w.URL, Secret: w.Secret.Reveal()}
	}
	return mc
}

// signingKeysLabel derives the key that seals token signing keys from
// the master key.
const signingKeysLabel = "token-signing-keys"

// keyRing holds the master encryption key and the previous ones still
// accepted for reading; each use derives its own keys from them.
type keyRing struct {
	master   []byte
	previous [][]byte
	// names say where the keys come from, for the key check's messages.
	names cluster.KeyNames
}

// keys returns the master keys as seal.Keys.
func (k keyRing) keys() seal.Keys { return seal.Keys{Current: k.master, Previous: k.previous} }

// encryptionKeys returns the keys that encrypt data at rest and seal state
// handed to clients: the configured encryption key or the one generated
// into the data directory, and the configured previous keys. The keys
// never go into the store; only their check values do (checkKeys).
func encryptionKeys(cfg *config.Config, log *slog.Logger) (keyRing, error) {
	ring := keyRing{names: cluster.KeyNames{Current: "encryption_key", Previous: "encryption_keys_previous"}}
	master, ok, err := cfg.EncryptionKeyBytes()
	if err != nil {
		return keyRing{}, fmt.Errorf("encryption_key: %w", err)
	}
	if !ok {
		if master, err = seal.LoadOrCreateKeyFile(cfg.EncryptionKeyPath()); err != nil {
			return keyRing{}, fmt.Errorf("encryption key: %w", err)
		}
		log.Info("encryption key", "path", cfg.EncryptionKeyPath())
		ring.names.Current = "encryption_key (not set, so this server uses the key generated in " + cfg.EncryptionKeyPath() + ")"
	}
	ring.master = master
	if ring.previous, err = cfg.EncryptionKeysPreviousBytes(); err != nil {
		return keyRing{}, fmt.Errorf("encryption_keys_previous%w", err)
	}
	return ring, nil
}

// resealRetry is how long a server waits to run a re-seal pass again after
// one failed.
const resealRetry = time.Minute

// startResealing runs the re-seal passes of a key rotation in the
// background (cluster.Resealing), when this server has previous keys, and
// returns the function that stops them and waits.
func startResealing(ctx context.Context, st store, ring keyRing, resealers []cluster.ItemResealer, log *slog.Logger) (stop func()) {
	if len(ring.previous) == 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := cluster.Resealing(ctx, st, seal.CheckValue(ring.master), resealers, log, resealRetry)
		if err != nil && ctx.Err() == nil {
			log.Error("re-seal stopped; it runs again at the next start", "error", err.Error())
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// logExporter maps the log_delivery block onto the exporter of the pools'
// log records.
func logExporter(c config.LogDeliveryConfig, observer messaging.LogObserver, log *slog.Logger) (*messaging.LogExporter, error) {
	dests := make([]messaging.LogDestination, 0, len(c.Destinations))
	for _, d := range c.Destinations {
		md := messaging.LogDestination{ARN: d.ARN, File: d.File, Stdout: d.Stdout}
		if d.Webhook.Enabled() {
			md.Webhook = &messaging.WebhookConfig{URL: d.Webhook.URL, Secret: d.Webhook.Secret.Reveal()}
		}
		dests = append(dests, md)
	}
	service := func(a config.AWSLogServiceConfig) *messaging.AWSLogService {
		if !a.On() {
			return nil
		}
		return &messaging.AWSLogService{Region: a.Region, Endpoint: a.Endpoint, FlushInterval: a.FlushInterval.Duration()}
	}
	aws := messaging.AWSLogDelivery{
		CloudWatchLogs: service(c.CloudWatchLogs),
		S3:             service(c.S3.Service()),
		Firehose:       service(c.Firehose),
		MaxAttempts:    c.MaxAttempts,
	}
	if aws.S3 != nil {
		aws.S3.UsePathStyle, aws.S3.KeyPrefix = c.S3.PathStyle, c.S3.KeyPrefix
	}
	return messaging.NewLogExporterWithAWS(dests, aws, observer, log)
}

// breachedPasswords returns the breached-password list of c, or nil when
// none is configured.
func breachedPasswords(c config.BreachedPasswordsConfig) (password.BreachedList, error) {
	switch {
	case c.File != "":
		return password.LoadFileList(c.File)
	case c.RangeAPIURL != "":
		return &password.RangeAPI{URL: c.RangeAPIURL}, nil
	}
	return nil, nil
}

// provisionedRefresh is how often a server reads the provisioned limits
// another node may have set.
const provisionedRefresh = 30 * time.Second

// refreshProvisionedLimits reads the stored provisioned limits into
// limits every provisionedRefresh while the quotas are on, and returns
// the function that stops it and waits.
func refreshProvisionedLimits(ctx context.Context, pools *userpool.Service, limits *ratelimit.Limiter, log *slog.Logger) (stop func()) {
	if !limits.Enabled() {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(provisionedRefresh)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if _, err := pools.LoadProvisionedLimits(ctx, limits); err != nil && ctx.Err() == nil {
					log.Warn("read provisioned limits", "error", err.Error())
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// checkKeys compares the keys with the ones the store records (recording
// them in a new store), and refuses to start with keys that do not fit.
// A store from before keys were recorded gets its record only if a
// sample of its users' SRP verifiers opens with the keys.
func checkKeys(ctx context.Context, st store, ring keyRing, log *slog.Logger) error {
	verifiers, err := srp.NewVerifiers(ring.master, ring.previous...)
	if err != nil {
		return err
	}
	probe := cluster.ProbeSealed(st, []cluster.ItemResealer{
		{Kind: directory.UserItemKind, Reseal: directory.ResealUserSRPVerifier(verifiers.Reseal)},
	})
	state, err := cluster.CheckKeys(ctx, st, ring.keys(), ring.names, time.Now(), probe)
	if err != nil {
		return err
	}
	switch {
	case state.Recorded:
		log.Info("recorded the encryption key's check value in the store", "check_value", state.Current)
	case state.RotatedFrom != "":
		log.Warn("encryption key rotated: the store's current key is now this server's",
			"check_value", state.Current, "previous_check_value", state.RotatedFrom)
	default:
		log.Info("encryption key matches the store's", "check_value", state.Current)
	}
	if len(state.Pending) > 0 {
		log.Info("the store may hold values sealed with previous keys", "previous_check_values", state.Pending)
	}
	return nil
}

// knownRegions are the regions other than own that the server knows: its
// replication peers and the regions it accepts in signatures, sorted.
func knownRegions(own string, peers, accepted []string) []string {
	var out []string
	for _, r := range slices.Concat(peers, accepted) {
		if r != own && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// brandingPreview draws the console's preview of a managed login style
// with the hosted UI's own sign-in page.
func brandingPreview(w io.Writer, settings map[string]any, assets []userpool.BrandingAsset, dark bool, providers []string) (string, error) {
	return oidc.RenderBrandingPreview(w, oidc.BrandingPreview{Settings: settings, Assets: assets, Dark: dark, Providers: providers})
}
