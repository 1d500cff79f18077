package auth

import (
	"strings"

	"github.com/jiedao-market/jiedao/internal/apperr"
)

// ValidateAccount normalizes in (the username trimmed and lower-cased, the
// display name trimmed, the locale zh-CN when empty) and checks what every new
// account needs: username, display name, password and locale. It does not look
// at the role or its scope, for callers that set those themselves (an
// organization's sign-up, before the organization has an id). It returns an
// apperr.Invalid error naming each bad field.
func ValidateAccount(in *UserInput) error {
	var f apperr.Fields
	checkAccount(&f, in)
	return f.Err()
}

// ValidateNewUser is ValidateAccount plus the role and the scope that role
// needs: every check CreateUser makes before it writes. It returns an
// apperr.Invalid error naming each bad field.
func ValidateNewUser(in *UserInput) error {
	var f apperr.Fields
	checkAccount(&f, in)
	if in.Role.Valid() {
		checkScope(&f, in.Role, in.DistrictID, in.SubdistrictID, in.OrganizationID)
	} else {
		f.Add("role", "is not a role")
	}
	return f.Err()
}

func checkAccount(f *apperr.Fields, in *UserInput) {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if in.Locale == "" {
		in.Locale = "zh-CN"
	}
	f.Check(usernamePattern.MatchString(in.Username), "username", "must be 3 to 64 of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
	f.Check(len(in.DisplayName) <= 100, "display_name", "must be at most 100 bytes")
	checkPassword(f, "password", in.Password)
	f.Check(validLocale(in.Locale), "locale", "must be zh-CN or en")
	if addr, err := NormalizeEmail("email", in.Email); err != nil {
		f.Add("email", "must be an e-mail address such as name@example.cn")
	} else {
		in.Email = addr
	}
}

// ValidatePassword checks a new password as every account's is checked: 10 to
// 256 characters. It returns an apperr.Invalid error naming field.
func ValidatePassword(field, password string) error {
	var f apperr.Fields
	checkPassword(&f, field, password)
	return f.Err()
}
