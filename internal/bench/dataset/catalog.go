package dataset

import (
	"context"
	"fmt"
	"math"
)

// item is a published transfer item (version 1).
type item struct {
	id        int64
	sub       int
	cat       string
	title     string
	desc      string
	comms     []int // indices in world.comms
	metrics   []metric
	unitPrice int64
	quantity  int
}

// A category's words: what its items are called and say, whom they serve,
// their unit and unit price (fen). The descriptions hold the substrings the
// search scenario looks for (SearchTerms).
var catWords = map[string]struct {
	title, desc, population, unit string
	price                         int64
}{
	"ELDERLY_HOME_CARE":   {"居家养老上门服务", "为辖区内高龄、独居、失能老人提供助餐、助浴、助洁、助医等上门服务，建立服务档案并定期回访。", "60周岁以上居家老人", "人次", 6000},
	"ELDERLY_DAY_CARE":    {"老年人日间照料中心运营", "运营社区日间照料中心，提供日间托养、康复训练、文化娱乐和助餐服务。", "社区失能半失能老人", "人天", 8000},
	"ELDERLY_APARTMENT":   {"老年公寓服务", "为入住老年公寓的老人提供生活照料、康复护理和心理慰藉服务。", "入住老年公寓的老人", "床月", 150000},
	"DISABILITY_SUPPORT":  {"残疾人帮扶服务", "为持证残疾人提供康复训练、辅具适配、就业支持和家庭照护者喘息服务。", "持证残疾人及其家庭", "人次", 9000},
	"SOCIAL_ASSISTANCE":   {"困难群众社会救助服务", "为低保、特困家庭提供探访评估、资源链接和心理疏导服务。", "低保及特困家庭", "户次", 7000},
	"CHARITY_SUPERMARKET": {"慈善超市运营", "运营社区慈善超市，募集和发放爱心物资，开展积分兑换和志愿服务。", "困难家庭及社区居民", "人次", 3000},
	"VOLUNTEER_SERVICE":   {"社区志愿服务组织", "招募培训社区志愿者，组织邻里互助、环境整治、应急值守等志愿服务活动。", "社区居民及志愿者", "小时", 2000},
	"YOUTH_GUIDANCE":      {"青少年教育引导服务", "为青少年提供课后托管、心理疏导、法治教育和社会实践活动。", "6至18周岁青少年", "人次", 5000},
	"LEGAL_AID":           {"社区法律咨询服务", "安排律师驻点提供法律咨询、法律援助申请指引和普法讲座。", "社区居民", "人次", 10000},
	"CIVIL_MEDIATION":     {"民间纠纷调解服务", "组织专业调解员化解邻里纠纷、家庭矛盾和物业纠纷，建立调解档案。", "社区居民", "件", 30000},
	"EMPLOYMENT_SERVICE":  {"就业援助服务", "为失业人员和就业困难人员提供就业指导、岗位推荐和技能培训。", "失业及就业困难人员", "人次", 8000},
	"COMMUNITY_EDUCATION": {"社区教育与技能培训", "开设老年大学课程、数字技能培训和家庭教育讲座。", "社区居民", "课时", 20000},
	"CULTURE_SPORTS":      {"社区文体活动组织", "组织广场舞、书画、合唱等文体活动和节庆展演。", "社区居民", "场次", 50000},
	"COMMUNITY_HEALTH":    {"社区卫生计生服务", "开展健康讲座、慢病随访、计生宣传和家庭医生签约协助。", "社区居民", "人次", 4000},
	"SOCIAL_WORK_STATION": {"社区社工站运营", "运营社工站，开展个案、小组和社区工作，培育社区社会组织。", "社区居民及困境群体", "人次", 6000},
	"SERVICE_HOTLINE":     {"社区服务热线运营", "运营社区服务热线，受理求助、咨询和投诉并跟踪办结。", "社区居民", "件", 1500},
}

// SearchTerms are Chinese substrings that transfer items' titles or
// descriptions hold, for the search scenario.
var SearchTerms = []string{"助餐", "日间照料", "心理疏导", "法律咨询", "慈善超市", "志愿服务", "就业", "青少年", "调解", "社工站", "康复训练", "文体活动"}

func (g *gen) catalog(ctx context.Context) error {
	w := &g.w
	var guide [][]any
	first, err := g.ids(ctx, "guidance_entries", len(w.cats))
	if err != nil {
		return err
	}
	at := g.base.Add(-days(390))
	for i, c := range w.cats {
		guide = append(guide, []any{first + int64(i), w.districtID, c.code, fmt.Sprintf("A%02d", i+1), "", at, at})
	}
	if err := g.copyRows(ctx, "guidance_entries", []string{"id", "district_id", "category_code", "catalog_code", "notes", "created_at", "updated_at"}, guide); err != nil {
		return err
	}
	nItems := max(g.n(400, 0), 2*len(w.subs))
	firstItem, err := g.ids(ctx, "transfer_items", nItems)
	if err != nil {
		return err
	}
	w.itemsBySub = make([][]int, len(w.subs))
	var items, versions, comms, metrics [][]any
	created := g.base.Add(-days(380))
	for k := range nItems {
		si := k % len(w.subs)
		s := &w.subs[si]
		nth := len(w.itemsBySub[si])
		cat := commonCategory
		if nth > 0 {
			cat = w.cats[(nth+si)%len(w.cats)].code
		}
		words := catWords[cat]
		it := item{id: firstItem + int64(k), sub: si, cat: cat, unitPrice: words.price, quantity: between(g.r, 200, 5000)}
		it.title = s.name + words.title + "项目"
		if round := nth / len(w.cats); round > 0 {
			it.title += fmt.Sprintf("（%d期）", round+1)
		}
		it.desc = words.desc + "服务覆盖" + s.name + "所辖社区。"
		for _, ci := range s.comms {
			if len(it.comms) < 3 && (g.r.IntN(2) == 0 || len(it.comms) == 0) {
				it.comms = append(it.comms, ci)
			}
		}
		for _, m := range w.templates[cat] {
			if m.direction == "higher" {
				m.target = math.Round(m.target * (0.8 + 0.4*g.r.Float64()))
			}
			it.metrics = append(it.metrics, m)
		}
		w.itemsBySub[si] = append(w.itemsBySub[si], len(w.items))
		w.items = append(w.items, it)
		items = append(items, []any{it.id, s.id, "published", 1, created, created})
		versions = append(versions, []any{it.id, 1, "draft", it.title, it.desc, cat, "《国务院办公厅关于政府向社会力量购买服务的指导意见》",
			words.population, it.quantity, words.unit, it.unitPrice, "open_tender", 1, 0, s.officer.id, created, created})
		for _, ci := range it.comms {
			comms = append(comms, []any{it.id, 1, w.comms[ci].id})
		}
		for _, m := range it.metrics {
			metrics = append(metrics, []any{it.id, 1, m.code, m.zh, m.en, m.unit, m.direction, m.source, m.target, m.weight})
		}
	}
	if err := g.copyRows(ctx, "transfer_items", []string{"id", "subdistrict_id", "status", "published_version", "created_at", "updated_at"}, items); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "transfer_item_versions", []string{"item_id", "version", "status", "title", "description", "category_code", "legal_basis",
		"target_population", "annual_quantity", "quantity_unit", "unit_price_fen", "purchase_method", "min_grade", "min_social_workers",
		"created_by", "created_at", "updated_at"}, versions); err != nil {
		return err
	}
	// A version's parts are written while it is a draft, then it is published.
	if err := g.copyRows(ctx, "transfer_item_communities", []string{"item_id", "version", "community_id"}, comms); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "transfer_item_metrics", []string{"item_id", "version", "code", "name_zh", "name_en", "unit", "direction", "source",
		"target", "weight"}, metrics); err != nil {
		return err
	}
	_, err = g.c.Exec(ctx, `UPDATE transfer_item_versions SET status = 'published', published_at = created_at + interval '1 day',
		published_by = created_by, updated_at = created_at + interval '1 day' WHERE item_id BETWEEN $1 AND $2 AND version = 1`,
		firstItem, firstItem+int64(nItems)-1)
	return err
}
