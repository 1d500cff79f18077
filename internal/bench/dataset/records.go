package dataset

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"
)

// ratingCodeLength is the length of a rating code (internal/delivery).
const ratingCodeLength = 10

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// codeBits are the 50 bits of record id's rating code with nonce, as
// internal/delivery derives them from the rating-code key.
func codeBits(key []byte, id int64, nonce int) uint64 {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("rating-code/v1/" + strconv.FormatInt(id, 10) + "/" + strconv.Itoa(nonce)))
	return binary.BigEndian.Uint64(m.Sum(nil)[:8]) >> (64 - 5*ratingCodeLength)
}

// RatingCode is the rating code of service record id with nonce under the
// rating-code key (JIEDAO_RATING_KEY), as the organization prints it and a
// resident types it: internal/delivery's derivation.
func RatingCode(key []byte, id int64, nonce int) string {
	return codeString(codeBits(key, id, nonce))
}

func codeString(bits uint64) string {
	out := make([]byte, ratingCodeLength)
	for i := ratingCodeLength - 1; i >= 0; i-- {
		out[i] = crockford[bits&31]
		bits >>= 5
	}
	return string(out)
}

// codeHash is the keyed hash a code is stored under (internal/delivery).
func codeHash(key []byte, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("rating-code-hash/v1/" + code))
	return m.Sum(nil)
}

// rating is a resident's rating to write.
type rating struct {
	record, contract, org, community int64
	stars                            [5]int16
	comment                          string
	at                               time.Time
}

var staffNames = []string{"社工王芳", "社工李强", "社工张敏", "社工刘洋", "社工陈静", "社工杨帆", "护理员赵丽", "护理员孙伟", "志愿者周婷", "律师吴昊"}

var ratingComments = []string{"", "", "", "服务很周到，谢谢！", "工作人员很耐心。", "准时上门，态度好。", "希望增加服务次数。", "专业水平高。"}

// serviceRecords streams the service records of every contract that
// delivered (active, completed, terminated), spread over its delivery days,
// each for a resident of one of its communities, with its rating code; a
// fifth of those old enough are rated (ratings writes them).
func (g *gen) serviceRecords(ctx context.Context) error {
	w := &g.w
	total := g.n(1_000_000, 0)
	wantRatings := g.n(200_000, 0)
	var span []int
	var sum int
	var delivering []int
	for i, c := range w.contracts {
		if c.deliveredUntil.IsZero() || !c.deliveredUntil.After(c.start) {
			continue
		}
		d := int(c.deliveredUntil.Sub(c.start)/(24*time.Hour)) + 1
		span = append(span, d)
		delivering = append(delivering, i)
		sum += d
	}
	if sum == 0 || total == 0 {
		return nil
	}
	first, err := g.ids(ctx, "service_records", total)
	if err != nil {
		return err
	}
	rateP := float64(wantRatings) / float64(total) / 0.97
	seen := make(map[uint64]struct{}, total)
	g.rated = g.rated[:0]
	// The trigger copying each record's district from its contract runs a
	// query per row: the district is written here, the same, and the
	// foreign key (contract_id, district_id) holds it to the contract's.
	if _, err := g.c.Exec(ctx, `ALTER TABLE service_records DISABLE TRIGGER service_records_district`); err != nil {
		return err
	}
	cols := []string{"district_id", "id", "contract_id", "organization_id", "community_id", "service_date", "service_type",
		"duration_minutes", "staff_name", "beneficiary_ref", "notes", "rating_code_hash", "rating_code_nonce", "rating_expires_at",
		"rating_used_at", "revision", "recorded_by", "created_at", "updated_at"}
	id := first
	err = g.copyPipe(ctx, "service_records", cols, func(emit func([]any) bool) error {
		for k, ci := range delivering {
			c := &w.contracts[ci]
			n := int64(float64(total) * float64(span[k]) / float64(sum))
			if k == len(delivering)-1 {
				n = first + int64(total) - id
			}
			c.firstRecord, c.nRecs = id, n
			for range n {
				if !emit(g.record(c, id, rateP, seen)) {
					return nil
				}
				id++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = g.c.Exec(ctx, `ALTER TABLE service_records ENABLE TRIGGER service_records_district`)
	return err
}

// record makes the row of service record id of contract c, drawing whether
// it was rated (probability rateP, if old enough).
func (g *gen) record(c *contractRow, id int64, rateP float64, seen map[uint64]struct{}) []any {
	w := &g.w
	o := w.orgs[c.org]
	comm := pick(g.r, c.comms)
	days := int(c.deliveredUntil.Sub(c.start) / (24 * time.Hour))
	date := c.start.Add(24 * time.Hour * time.Duration(g.r.IntN(days+1)))
	created := date.Add(17*time.Hour + time.Duration(g.r.IntN(180))*time.Minute)
	nonce := 0
	bits := codeBits(g.o.RatingKey, id, nonce)
	for {
		if _, dup := seen[bits]; !dup {
			break
		}
		nonce++
		bits = codeBits(g.o.RatingKey, id, nonce)
	}
	seen[bits] = struct{}{}
	var used *time.Time
	if room := g.base.Sub(created); room > 2*time.Hour && g.r.Float64() < rateP {
		room = min(room-time.Hour, 29*24*time.Hour)
		at := created.Add(time.Hour + time.Duration(g.r.Int64N(int64(room/time.Second)))*time.Second)
		used = &at
		overall := pick(g.r, []int16{5, 5, 5, 5, 4, 4, 4, 3, 2, 1})
		r := rating{record: id, contract: c.id, org: o.id, community: w.comms[comm].id, comment: pick(g.r, ratingComments), at: at}
		for k := range 4 {
			r.stars[k] = min(5, max(1, overall+int16(g.r.IntN(3))-1))
		}
		r.stars[4] = overall
		g.rated = append(g.rated, r)
	}
	residents := w.residents[comm]
	ref := residents[g.r.IntN(len(residents))].name
	return []any{w.districtID, id, c.id, o.id, w.comms[comm].id, date, pick(g.r, c.recordCodes), between(g.r, 30, 180), pick(g.r, staffNames),
		ref, "", codeHash(g.o.RatingKey, codeString(bits)), nonce, created.Add(30 * 24 * time.Hour), used, 1, o.admin.id, created, created}
}

// ratings writes the ratings drawn with the records, some with the
// organization's reply, and the aggregates equal to them.
func (g *gen) ratings(ctx context.Context) error {
	type key struct {
		scope string
		id    int64
	}
	aggs := map[key]*[7]int64{}
	var order []key
	add := func(k key, r rating) {
		a, ok := aggs[k]
		if !ok {
			a = &[7]int64{}
			aggs[k] = a
			order = append(order, k)
		}
		a[0]++
		for i, s := range r.stars {
			a[1+i] += int64(s)
		}
		if r.stars[4] >= 4 {
			a[6]++
		}
	}
	first, err := g.ids(ctx, "ratings", len(g.rated))
	if err != nil {
		return err
	}
	orgAdmin := map[int64]int64{}
	for _, o := range g.w.orgs {
		orgAdmin[o.id] = o.admin.id
	}
	k := 0
	err = g.copyFunc(ctx, "ratings", []string{"id", "kind", "record_id", "contract_id", "organization_id", "community_id", "timeliness",
		"professionalism", "attitude", "effectiveness", "overall", "comment", "reply", "replied_at", "replied_by", "created_at"}, func() ([]any, error) {
		if k == len(g.rated) {
			return nil, nil
		}
		r := g.rated[k]
		id := first + int64(k)
		k++
		for _, sc := range []key{{"community", r.community}, {"contract", r.contract}, {"organization", r.org}, {"platform", 0}} {
			add(sc, r)
		}
		var reply, repliedBy any
		var repliedAt any
		if r.comment != "" && id%4 == 0 && g.base.Sub(r.at) > 48*time.Hour {
			reply, repliedAt, repliedBy = "感谢您的评价，我们会继续努力。", r.at.Add(24*time.Hour), orgAdmin[r.org]
		}
		return []any{id, "code", r.record, r.contract, r.org, r.community, r.stars[0], r.stars[1], r.stars[2], r.stars[3], r.stars[4],
			r.comment, reply, repliedAt, repliedBy, r.at}, nil
	})
	if err != nil {
		return err
	}
	var rows [][]any
	for _, k := range order {
		a := aggs[k]
		rows = append(rows, []any{k.scope, k.id, "code", a[0], a[1], a[2], a[3], a[4], a[5], a[6]})
	}
	g.rated = nil
	return g.copyRows(ctx, "rating_aggregates", []string{"scope", "scope_id", "kind", "n", "sum_timeliness", "sum_professionalism",
		"sum_attitude", "sum_effectiveness", "sum_overall", "satisfied"}, rows)
}
