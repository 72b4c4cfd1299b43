package identitypool

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/federation"
)

// DefaultSAMLAudience is the audience and recipient of the assertions an
// identity pool takes by default: AWS's sign-in endpoint, which IdPs set
// up for AWS federation name as the relying party, and the audience IAM
// checks (SAML:aud).
const DefaultSAMLAudience = "https://signin.aws.amazon.com/saml"

// SAMLProvider is what IAM knows of a SAML provider an identity pool names
// in SamlProviderARNs: the IdP's metadata document (its signing
// certificates), and the audience its assertions must name.
type SAMLProvider struct {
	// Metadata is the IdP's metadata document; with none, MetadataURL is
	// read at each login.
	Metadata    []byte
	MetadataURL string
	// Audience is the assertions' audience, Destination and Recipient;
	// empty means DefaultSAMLAudience.
	Audience string
}

// samlProviderName is the part of a SAML provider's IAM ARN after
// "saml-provider/".
func samlProviderName(arn string) string {
	a, ok := cognito.ParseARN(arn)
	if !ok {
		return ""
	}
	name, _ := strings.CutPrefix(a.Resource, "saml-provider/")
	return name
}

// verifySAMLLogin verifies a login of the SAML provider arn: token is the
// base64 SAMLResponse, checked with crewjam/saml (federation.Client) as
// IAM checks one for AssumeRoleWithSAML: signed by a certificate of the
// provider's metadata, the audience, Destination and Recipient the
// configured audience, within its time window, and answering no request
// (it is IdP-initiated, posted to AWS's endpoint). It is not refused as a
// replay: the same assertion is the login of GetId and then of
// GetCredentialsForIdentity until it expires, as on Cognito. The subject
// is the NameID; the attributes are the claims.
func (s *Service) verifySAMLLogin(ctx context.Context, arn, token string) (*login, error) {
	name := samlProviderName(arn)
	conf, ok := s.samlConf[name]
	if !ok || (len(conf.Metadata) == 0 && conf.MetadataURL == "") {
		s.log.Warn("identity pool names a SAML provider that is not configured", "provider", name)
		return nil, cognito.InvalidIdentityPoolConfigurationException(fmt.Sprintf("The SAML provider %s is not configured on this server.", name))
	}
	aud := conf.Audience
	if aud == "" {
		aud = DefaultSAMLAudience
	}
	ident, err := s.saml.SAMLResponse(ctx, &federation.SAMLProvider{
		Name: name, Metadata: conf.Metadata, MetadataURL: conf.MetadataURL,
		EntityID: aud, ACSURL: aud, IDPInit: true,
	}, token, nil)
	if errors.Is(err, federation.ErrSAMLMetadata) {
		return nil, cognito.ExternalServiceException(fmt.Sprintf("The SAML provider %s's metadata could not be read.", name)).WithCause(err)
	}
	if err != nil {
		return nil, cognito.NotAuthorizedException(msgInvalidSAML).WithCause(err)
	}
	claims := make(map[string]any, len(ident.Claims)+1)
	for k, v := range ident.Claims {
		claims[k] = v
	}
	claims["sub"] = ident.Subject
	return &login{kind: kindSAML, Provider: arn, Subject: ident.Subject, Claims: claims}, nil
}
