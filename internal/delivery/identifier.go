package delivery

import (
	"regexp"
	"strings"
)

// No personal identifier is stored with a service record: a beneficiary
// reference is a pseudonym the organization keeps, and a record's notes and
// staff name are free text. These shapes are refused wherever they appear in
// that text, with surrounding digits telling a longer number apart.
var (
	// A mainland resident ID number (GB 11643): 17 digits and a check character.
	idNumberShape = regexp.MustCompile(`(?:^|[^0-9])([0-9]{17}[0-9Xx])(?:$|[^0-9A-Za-z])`)
	// A mainland mobile number: 1[3-9] and 9 more digits, optionally after
	// +86 or 86, with spaces or dashes between the digits.
	mobileShape = regexp.MustCompile(`(?:^|[^0-9+])((?:\+?86[ -]?)?1[3-9](?:[ -]?[0-9]){9})(?:$|[^0-9])`)
)

// idWeights are GB 11643's weights of the first 17 digits.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// ValidIDNumber reports whether s is a mainland resident ID number whose check
// character (the 18th, GB 11643: the weighted sum of the first 17 digits mod
// 11 indexes "10X98765432") is right.
func ValidIDNumber(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		sum += int(s[i]-'0') * idWeights[i]
	}
	return "10X98765432"[sum%11] == strings.ToUpper(s[17:])[0]
}

// PersonalIdentifier names the personal identifier text holds ("an ID
// number", "a mobile number"), or returns "" when it holds none.
func PersonalIdentifier(text string) string {
	for _, m := range idNumberShape.FindAllStringSubmatch(text, -1) {
		if ValidIDNumber(m[1]) {
			return "a resident ID number"
		}
	}
	if mobileShape.MatchString(text) {
		return "a mobile number"
	}
	return ""
}
