package redflag

import (
	"fmt"
	"strconv"
	"time"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Title returns the short name of kind in Chinese and English.
func Title(kind string) (zh, en string) {
	switch kind {
	case SingleBid:
		return "仅一家有效投标", "Single bid"
	case ShortWindow:
		return "投标期短于法定最短期限", "Short bidding window"
	case RepeatWinner:
		return "同一供应商反复中标", "Repeat winner"
	case AbnormallyLow:
		return "授予异常低价投标", "Award to an abnormally low bid"
	case AmendedAfterBids:
		return "收到投标后修改招标文件", "Amended after bids arrived"
	case ContractAmendedOver:
		return "合同变更增幅超过上限", "Contract amended above the cap"
	case OverdueComplaints:
		return "投诉逾期未处理", "Overdue complaints"
	case WithheldPayments:
		return "因评估得分扣减或暂停付款", "Payments withheld or reduced"
	}
	return kind, kind
}

// Explain returns what flag f means, with its numbers, in Chinese and English.
func Explain(f Flag) (zh, en string) {
	d := f.Detail
	switch f.Kind {
	case SingleBid:
		return fmt.Sprintf("开标时仅有 1 家有效投标（共开启 %d 份投标），缺少竞争。", num(d.OpenedBids)),
			fmt.Sprintf("Only one valid bid at the opening (%d opened): no competition.", num(d.OpenedBids))
	case ShortWindow:
		return fmt.Sprintf("投标期为 %s 天，短于该采购方式的最短期限 %d 天。书面理由：%s", dec(d.WindowDays), num(d.MinimumDays), d.Justification),
			fmt.Sprintf("The bidding window was %s days, shorter than the method's minimum of %d days. Written justification: %s",
				dec(d.WindowDays), num(d.MinimumDays), d.Justification)
	case RepeatWinner:
		return fmt.Sprintf("%s 在近 12 个月内获得本街道 %d 项授予中的 %d 项，金额 %s 元，占授予总额 %s 元的 %s%%（阈值 %d%%）。",
				f.OrganizationName, num(d.SubdistrictAwards), num(d.Awards), yuan(d.AwardedFen), yuan(d.SubdistrictAwardedFen), dec(d.SharePercent), num(d.ThresholdPercent)),
			fmt.Sprintf("%s won %d of the subdistrict's %d awards in the last 12 months, %s yuan of %s yuan awarded: %s%% (threshold %d%%).",
				f.OrganizationName, num(d.Awards), num(d.SubdistrictAwards), yuan(d.AwardedFen), yuan(d.SubdistrictAwardedFen), dec(d.SharePercent), num(d.ThresholdPercent))
	case AbnormallyLow:
		return fmt.Sprintf("中标价 %s 元被开标检查标记为异常低价（其他 %d 份有效投标均价 %s 元）。",
				yuan(d.PriceFen), num(d.OtherBids), yuan(d.MeanOfOthersFen)),
			fmt.Sprintf("The winning price of %s yuan was found abnormally low at the opening (mean of the %d other valid bids: %s yuan).",
				yuan(d.PriceFen), num(d.OtherBids), yuan(d.MeanOfOthersFen))
	case AmendedAfterBids:
		return fmt.Sprintf("首份投标于 %s 收到后，招标文件又修改了 %d 次。", day(d.FirstBidAt), num(d.Amendments)),
			fmt.Sprintf("The tender was amended %s after its first bid arrived on %s.", times(num(d.Amendments)), day(d.FirstBidAt))
	case ContractAmendedOver:
		return fmt.Sprintf("合同金额经 %d 次变更由签订时的 %s 元增至 %s 元，增幅 %s%%，超过 %d%%。",
				num(d.Amendments), yuan(d.SignedFen), yuan(d.AmountFen), dec(d.RisePercent), num(d.ThresholdPercent)),
			fmt.Sprintf("%s raised the contract from the signed %s yuan to %s yuan, %s%% more, above %d%%.",
				plural(num(d.Amendments), "amendment"), yuan(d.SignedFen), yuan(d.AmountFen), dec(d.RisePercent), num(d.ThresholdPercent))
	case OverdueComplaints:
		return fmt.Sprintf("%d 件投诉超过处理时限（首次响应逾期 %d 件，决定逾期 %d 件）。",
				num(d.Complaints), num(d.FirstResponseOverdue), num(d.DecisionOverdue)),
			fmt.Sprintf("%s past a time limit (%d past the first response, %d past the decision).",
				plural(num(d.Complaints), "complaint"), num(d.FirstResponseOverdue), num(d.DecisionOverdue))
	case WithheldPayments:
		return fmt.Sprintf("因评估得分，%d 期付款暂停、%d 期付款扣减：应付 %s 元中实付 %s 元（最低评估得分 %s）。",
				num(d.WithheldRounds), num(d.ReducedRounds), yuan(d.MilestoneFen), yuan(d.PayableFen), dec(d.LowestScore)),
			fmt.Sprintf("By the evaluation score, %s withheld and %d reduced: %s yuan payable of %s yuan (lowest score %s).",
				plural(num(d.WithheldRounds), "payment round"), num(d.ReducedRounds), yuan(d.PayableFen), yuan(d.MilestoneFen), dec(d.LowestScore))
	}
	return f.Kind, f.Kind
}

// plural counts n of noun in English: "1 complaint", "2 complaints".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// times says how often in English: "once", "twice", "3 times".
func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

func num(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func dec(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func yuan(p *money.Fen) string {
	if p == nil {
		return "—"
	}
	return p.Grouped()
}

// day is the date, in China, of an instant.
func day(p *time.Time) string {
	if p == nil {
		return "—"
	}
	return civil.ChinaDate(*p).String()
}
