package oidc

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// UILogoPattern is the route of the classic hosted UI's logos, under the
// issuer base URL (userpool.UICustomizationImageURL).
const UILogoPattern = "GET /{pool}/ui-customization/{client}/{digest}/{file}"

// NewUILogoHandler returns the handler of UILogoPattern: the logo that
// SetUICustomization stored, at the URL GetUICustomization answers as
// ImageUrl. It is public, as Cognito's CloudFront URL of the logo is, and
// a URL names one logo for good (a digest of its content is in it), so the
// answer may be cached by anyone without limit. The body is served
// with the media type of the PNG or JPEG image SetUICustomization
// checked, and is never sniffed as anything else. A URL of no logo, or of
// a logo replaced since, answers 404.
func NewUILogoHandler(pools *userpool.Service) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(UILogoPattern, func(w http.ResponseWriter, r *http.Request) {
		img, typ, err := pools.UICustomizationImage(r.Context(), r.PathValue("pool"), r.PathValue("client"), r.PathValue("digest"), r.PathValue("file"))
		if err != nil {
			var ce *cognito.Error
			if errors.As(err, &ce) && ce.Code == cognito.CodeResourceNotFoundException {
				writeJSON(w, http.StatusNotFound, map[string]string{"message": "The image does not exist."})
				return
			}
			slog.ErrorContext(r.Context(), "serve a hosted UI logo", "path", r.URL.Path, "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal error"})
			return
		}
		h := w.Header()
		h.Set("Content-Type", typ)
		h.Set("Content-Length", strconv.Itoa(len(img)))
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'")
		h.Set("Access-Control-Allow-Origin", "*")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(img)
		}
	})
	return mux
}
