package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/console"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// runConsoleAddAdmin creates an operator of the admin console: a user of
// the administrators' pool (made first if no server made it yet) with a
// temporary password, printed once, that the operator replaces at the
// first sign-in on the hosted UI's new-password page.
func runConsoleAddAdmin(ctx context.Context, e env, args []string) int {
	const name = "console add-admin"
	fs, cf := configFlagSet(name, e.stderr)
	username := fs.String("username", "", "the operator's username (required)")
	email := fs.String("email", "", "the operator's email address (required)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 || *username == "" || *email == "" {
		fmt.Fprintf(e.stderr, "usage: cognate %s --username NAME --email ADDRESS [flags]\n", name)
		return exitUsage
	}
	src := config.Sources{File: *cf.file, Env: e.getenv, Flags: map[string]string{}}
	fs.Visit(func(f *flag.Flag) {
		if key, ok := flagKeys[f.Name]; ok {
			src.Flags[key] = f.Value.String()
		}
	})
	cfg, warnings, err := config.Load(src)
	if err != nil {
		return reportLoadError(e, warnings, err)
	}
	printWarnings(e.stderr, warnings)
	temp, err := addAdmin(ctx, cfg, e, *username, *email)
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate %s: %v\n", name, err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "operator %s created in the pool %s\n", *username, console.AdminPoolName)
	fmt.Fprintf(e.stdout, "temporary password: %s\n", temp)
	fmt.Fprintln(e.stdout, "sign in at <cognate URL>/console/ and choose a new password; the temporary one expires in 7 days")
	return exitOK
}

// addAdmin opens the store and makes the user through the engines, as a
// running server would.
func addAdmin(ctx context.Context, cfg *config.Config, e env, username, email string) (string, error) {
	log := slog.New(slog.DiscardHandler)
	creds, _, err := adminCredentials(cfg, e, log)
	if err != nil {
		return "", err
	}
	st, desc, err := openStore(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return "", fmt.Errorf("migrate %s: %w", desc, err)
	}
	keys, err := encryptionKeys(cfg, log)
	if err != nil {
		return "", err
	}
	if err := checkKeys(ctx, st, keys, log); err != nil {
		return "", err
	}
	passwords, err := password.New(password.Config{Params: passwordParams(cfg.PasswordHashing)})
	if err != nil {
		return "", err
	}
	verifiers, err := srp.NewVerifiers(keys.master, keys.previous...)
	if err != nil {
		return "", err
	}
	clientSecretKeys := keys.keys().Derive(userpool.KeyLabelClientSecrets)
	pools := userpool.New(st, userpool.Options{AccountID: cfg.AccountID, Logger: log,
		PaginationKey:   paginationKey(creds.SecretAccessKey.Reveal()),
		ClientSecretKey: clientSecretKeys.Current, ClientSecretPreviousKeys: clientSecretKeys.Previous})
	users := directory.New(st, pools, directory.Options{Logger: log, SRPVerifiers: verifiers,
		CodeKey: seal.DeriveKey(keys.master, directory.KeyLabelCodes), Passwords: passwords})
	caller := cognito.Caller{Region: cfg.Region}
	admin, err := console.EnsureAdminPool(ctx, pools, caller, "")
	if err != nil {
		return "", err
	}
	temp := temporaryPassword()
	_, err = users.AdminCreateUser(ctx, caller, &idp.AdminCreateUserRequest{
		UserPoolId: &admin.PoolID, Username: &username, TemporaryPassword: &temp,
		MessageAction: cognito.Ptr(idp.MessageActionType("SUPPRESS")),
		UserAttributes: []idp.AttributeType{
			{Name: cognito.Ptr("email"), Value: &email},
			{Name: cognito.Ptr("email_verified"), Value: cognito.Ptr("true")},
		},
	})
	if err != nil {
		var ce *cognito.Error
		if errors.As(err, &ce) {
			return "", fmt.Errorf("%s: %s", ce.Code, ce.Message)
		}
		return "", err
	}
	return temp, nil
}

// temporaryPassword is 26 random characters (crypto/rand.Text, 130
// bits) with a lower-case letter added, so that it has every kind the
// administrators' pool's policy asks for.
func temporaryPassword() string {
	t := rand.Text()
	return t[:13] + "q" + t[13:] + "7"
}
