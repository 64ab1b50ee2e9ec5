package conf

import (
	"strings"
)

// Mask is what a secret is printed as.
const Mask = "****"

// MaskURL hides the passwords in a transport URL, keeping the rest readable:
//
//	rabbit://user:secret@h1:5672,u2:s2@h2/vhost?ssl=1  →  rabbit://user:****@h1:5672,u2:****@h2/vhost?ssl=1
//
// Every host of an oslo multi-host URL is masked, as are query parameters whose
// name suggests a secret (password, secret, token, key material). A string that
// is not a URL is returned unchanged.
func MaskURL(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	netloc, tail := rest[:end], rest[end:]
	hosts := strings.Split(netloc, ",")
	for h, host := range hosts {
		at := strings.LastIndexByte(host, '@')
		if at < 0 {
			continue
		}
		user, _, hasPass := strings.Cut(host[:at], ":")
		if hasPass {
			hosts[h] = user + ":" + Mask + host[at:]
		}
	}
	return s[:i+3] + strings.Join(hosts, ",") + maskQuery(tail)
}

func maskQuery(tail string) string {
	q := strings.IndexByte(tail, '?')
	if q < 0 {
		return tail
	}
	params := strings.Split(tail[q+1:], "&")
	for i, p := range params {
		k, _, ok := strings.Cut(p, "=")
		if ok && isSecretName(k) {
			params[i] = k + "=" + Mask
		}
	}
	return tail[:q+1] + strings.Join(params, "&")
}

// isSecretName reports whether an option or parameter name holds a secret by
// convention (used for options the agent does not register itself).
func isSecretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"password", "secret", "token", "passphrase", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// Scrub replaces every occurrence of each non-empty secret in text with Mask.
// It is the last line of defence for free text (reports, error messages) that
// might quote a secret value.
func Scrub(text string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= 3 {
			text = strings.ReplaceAll(text, s, Mask)
		}
	}
	return text
}
