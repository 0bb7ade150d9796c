package loadgen

// The data generators: Chinese person names, company names, mobile and landline numbers, e-mail
// addresses and postal addresses, drawn so that searches match realistic fractions of the rows.
// Every record is generated from (seed, kind, index) alone, so a record is the same whatever the
// batch size, and a re-run of a seed produces the same records.

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/lead"
)

// weighted expands (value, weight) pairs into a table a uniform pick draws from in proportion to
// the weights.
func weighted[T any](pairs ...any) []T {
	var out []T
	for i := 0; i+1 < len(pairs); i += 2 {
		for range pairs[i+1].(int) {
			out = append(out, pairs[i].(T))
		}
	}
	return out
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// surnames in proportion to their frequency in China (per ten thousand people, 2020 census, the
// most common 60; the rest of the population is spread over a tail of less common surnames).
var surnames = weighted[string](
	"王", 712, "李", 700, "张", 674, "刘", 538, "陈", 453, "杨", 308, "黄", 223, "赵", 200, "吴", 197, "周", 190,
	"徐", 145, "孙", 138, "马", 129, "朱", 126, "胡", 116, "郭", 115, "何", 106, "林", 101, "高", 100, "罗", 95,
	"郑", 85, "梁", 83, "谢", 68, "宋", 63, "唐", 63, "许", 62, "韩", 62, "冯", 61, "邓", 61, "曹", 60,
	"彭", 55, "曾", 54, "肖", 54, "田", 53, "董", 52, "袁", 50, "潘", 49, "于", 49, "蒋", 48, "蔡", 48,
	"余", 47, "杜", 46, "叶", 45, "程", 44, "苏", 42, "魏", 41, "吕", 41, "丁", 40, "任", 40, "沈", 39,
	"姚", 38, "卢", 37, "姜", 36, "崔", 35, "钟", 34, "谭", 33, "陆", 32, "汪", 31, "范", 30, "金", 29,
	"石", 25, "廖", 25, "贾", 25, "夏", 24, "韦", 24, "付", 24, "方", 23, "白", 23, "邹", 23, "孟", 22,
	"熊", 22, "秦", 22, "邱", 21, "江", 21, "尹", 21, "薛", 20, "闫", 20, "段", 19, "雷", 19, "侯", 19,
	"龙", 18, "史", 18, "陶", 17, "黎", 17, "贺", 17, "顾", 16, "毛", 16, "郝", 16, "龚", 15, "邵", 15,
	"欧阳", 6, "司马", 2, "诸葛", 1, "上官", 1,
)

// tailSurnames are less common surnames; together with the list above they cover the population,
// so 王 comes out at its 7%.
var tailSurnames = strings.Fields(`万 钱 严 覃 武 戴 莫 孔 向 汤 常 温 康 施 牛 樊 葛 邢 安 齐 易 乔 伍 庞 颜 倪 庄 聂 章 鲁
岳 翟 殷 詹 申 欧 耿 关 焦 俞 左 柳 甘 祝 包 宁 尚 符 舒 阮 柯 纪 童 凌 毕 单 季 裴 霍 涂 苗 谷 盛 曲 翁 冉 骆 蓝 路
游 辛 靳 管 柴 蒙 鲍 喻 祁 蒲 房 滕 屈 饶 解 牟 艾 尤 时 穆 农 司 卓 古 吉 缪 简 车 项 连 芦 麦 褚 娄 窦 戚 岑 景 党
宫 费 卜 冷 晏 席 卫 米 柏 宗 瞿 全 佟 应 臧 闵 苟 邬 边 卞 姬 师 和 仇 栾 隋 商 刁 沙 荣 巫 寇 桑 郎 甄 丛 仲 虞 敖
巩 佘 池 查 麻 苑 迟 邝`)

func init() {
	for _, s := range tailSurnames {
		for range 13 {
			surnames = append(surnames, s)
		}
	}
}

// givenChars are the characters of given names, common ones weighted up (伟, 芳, 娜 …).
var givenChars = weighted[string](
	"伟", 60, "芳", 40, "娜", 35, "秀", 30, "英", 30, "敏", 30, "静", 30, "丽", 28, "强", 28, "磊", 26,
	"军", 26, "洋", 24, "勇", 24, "艳", 22, "杰", 22, "娟", 20, "涛", 20, "明", 20, "超", 18, "兰", 16,
	"霞", 16, "平", 16, "刚", 16, "桂", 12, "华", 20, "建", 18, "国", 18, "志", 16, "红", 16, "玉", 14,
	"文", 14, "辉", 14, "海", 14, "燕", 14, "鹏", 12, "飞", 12, "宇", 12, "浩", 12, "然", 8, "子", 10,
	"轩", 8, "欣", 10, "怡", 10, "晨", 8, "阳", 10, "思", 8, "雨", 8, "佳", 10, "琪", 8, "俊", 10,
	"峰", 10, "晓", 12, "东", 10, "丹", 10, "萍", 10, "春", 8, "梅", 8, "永", 8, "健", 8, "婷", 10,
	"雪", 8, "慧", 8, "鑫", 6, "波", 8, "斌", 8, "宁", 6, "博", 6, "凯", 6, "瑞", 6, "欢", 6,
	"成", 6, "林", 6, "亮", 6, "岩", 4, "琳", 6, "颖", 6, "倩", 6, "璐", 4, "昊", 4, "泽", 4,
)

// cities are two-character city names with their area codes (the name prefixes companies and
// addresses, the code landline numbers). Two characters each, so that company names split
// unambiguously (see CustomerName).
var cities = []struct{ Name, Province, Code string }{
	{"北京", "北京市", "010"}, {"上海", "上海市", "021"}, {"广州", "广东省", "020"}, {"深圳", "广东省", "0755"},
	{"杭州", "浙江省", "0571"}, {"南京", "江苏省", "025"}, {"苏州", "江苏省", "0512"}, {"成都", "四川省", "028"},
	{"武汉", "湖北省", "027"}, {"西安", "陕西省", "029"}, {"重庆", "重庆市", "023"}, {"天津", "天津市", "022"},
	{"长沙", "湖南省", "0731"}, {"郑州", "河南省", "0371"}, {"青岛", "山东省", "0532"}, {"厦门", "福建省", "0592"},
	{"宁波", "浙江省", "0574"}, {"合肥", "安徽省", "0551"}, {"济南", "山东省", "0531"}, {"福州", "福建省", "0591"},
	{"东莞", "广东省", "0769"}, {"佛山", "广东省", "0757"}, {"无锡", "江苏省", "0510"}, {"大连", "辽宁省", "0411"},
	{"沈阳", "辽宁省", "024"}, {"昆明", "云南省", "0871"}, {"南昌", "江西省", "0791"}, {"贵阳", "贵州省", "0851"},
	{"太原", "山西省", "0351"}, {"南宁", "广西壮族自治区", "0771"},
}

// brands are two-character trade names; 星河 is one of 119, so `q=星河` matches about 0.8% of the
// companies.
var brands = strings.Fields(`星河 华信 中科 东方 恒达 金鼎 宏图 瑞丰 天成 博远 鑫源 锦程 新锐 联创 汇通 海纳 凯盛 安泰 永昌 盛世
银河 明德 正泰 远景 润华 华泰 中天 长城 卓越 嘉禾 鼎盛 万通 世纪 宏达 伟业 众诚 盛达 天宇 华美 新元
恒信 富华 隆基 德信 金桥 亿达 诚通 泰和 宏远 骏马 金泰 信达 利达 百川 华鼎 天瑞 瑞祥 启明 晨光 蓝天
青松 丰源 海川 天和 荣盛 兴业 永泰 嘉信 鸿运 东升 创新 华南 北斗 思远 睿智 弘毅 德润 广源 天利 顺达
祥和 腾飞 龙腾 凤凰 飞扬 恒通 海天 宝利 名扬 万达 中原 华夏 九州 四海 神州 环宇 光明 阳光 金色 绿源
东信 南方 西部 北方 同创 合力 众邦 聚贤 远航 致远 和信 尚品 优途 云帆 星火 清源 智达 博雅 弘信`)

// qualifiers go between the brand and the trade ("北京星河智能科技有限公司"); "" leaves none.
var qualifiers = []string{"", "智能", "数字", "新材料", "生物", "精密", "国际", "环境", "电气", "能源", "云", "创新"}

// trades end a company name before its legal suffix; 科技 is weighted up, as it is in life.
var trades = []string{"科技", "贸易", "实业", "信息技术", "网络", "电子", "机械", "医药", "食品", "建材",
	"物流", "文化传媒", "环保", "教育", "咨询", "软件", "设备", "工程", "商贸", "投资"}

var (
	suffixes  = []string{"有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司", "有限责任公司"}
	districts = []string{"朝阳区", "海淀区", "浦东新区", "天河区", "南山区", "西湖区", "鼓楼区", "高新区", "经开区", "滨江区", "江北区", "武侯区"}
	roads     = []string{"建设路", "人民路", "解放路", "中山路", "文三路", "科技路", "长江路", "世纪大道", "工业园路", "创业路", "新华路", "和平路"}
	// Sources and industries are codes of the data dictionary's built-in lists (the API takes their
	// labels too).
	sources      = []string{"web", "exhibition", "referral", "telemarketing", "search_ads", "wechat", "alibaba", "douyin_ads"}
	industries   = []string{"manufacturing", "internet", "retail", "education", "healthcare", "finance", "logistics", "construction", "energy", "catering"}
	remarks      = []string{"客户对报价敏感，下周回访", "已发送产品资料", "需要对接技术负责人", "预算在审批中", "约了下周二上门拜访", "对竞品有兴趣，需跟进", "", "", ""}
	mobilePrefix = []string{"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "158", "159",
		"166", "173", "176", "177", "180", "181", "185", "186", "187", "188", "189", "191", "198", "199"}
	mailDomains = []string{"qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "139.com"}
	mailLocal   = []string{"sales", "info", "contact", "service", "hr", "market", "admin", "office"}
	levels      = weighted[string]("A", 2, "B", 5, "C", 3)
)

// Gen draws records and search needles. Its methods that take an index are deterministic in
// (seed, index); the others draw from r.
type Gen struct{ Seed uint64 }

// rng is the random stream of one record.
func (g Gen) rng(kind uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(g.Seed^(kind<<56), uint64(i)))
}

// Record kinds in the random streams.
const (
	kindLead uint64 = iota + 1
	kindCustomer
	kindUser
)

// PersonName is a Chinese name: a surname and one or (two times in three) two given characters.
func PersonName(r *rand.Rand) string {
	n := pick(r, surnames) + pick(r, givenChars)
	if r.IntN(3) > 0 {
		n += pick(r, givenChars)
	}
	return n
}

// Mobile is an 11-digit mainland mobile number; one in three is written with spaces (138 1234
// 5678), as people type them.
func Mobile(r *rand.Rand) string {
	m := pick(r, mobilePrefix) + fmt.Sprintf("%08d", r.IntN(100_000_000))
	if r.IntN(3) == 0 {
		m = m[:3] + " " + m[3:7] + " " + m[7:]
	}
	return m
}

// Landline is a number in the city's area: "010-8765 4321" (7 or 8 digits after a 4-digit code).
func Landline(r *rand.Rand, code string) string {
	digits := 8
	if len(code) == 4 {
		digits = 7 + r.IntN(2)
	}
	num := fmt.Sprintf("%0*d", digits, r.IntN(100_000_000)%pow10(digits))
	return code + "-" + num[:len(num)-4] + " " + num[len(num)-4:]
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

// Company is a company name such as 北京星河智能科技有限公司: four in five carry a city prefix.
func Company(r *rand.Rand) string {
	name := pick(r, brands) + pick(r, qualifiers) + pick(r, trades) + pick(r, suffixes)
	if r.IntN(5) > 0 {
		name = pick(r, cities).Name + name
	}
	return name
}

// Email is a plain address of a free mail service (numeric QQ-style or role@ addresses).
func Email(r *rand.Rand) string {
	if r.IntN(2) == 0 {
		return fmt.Sprintf("%d@%s", 10_000_000+r.IntN(2_000_000_000), pick(r, mailDomains))
	}
	return fmt.Sprintf("%s%d@%s", pick(r, mailLocal), r.IntN(10_000), pick(r, mailDomains))
}

// Address is a street address in the city.
func Address(r *rand.Rand, city string) string {
	return fmt.Sprintf("%s市%s%s%d号", city, pick(r, districts), pick(r, roads), 1+r.IntN(999))
}

// Lead is the i-th lead's fields: a person, usually a company, a mobile (seven in ten) and/or a
// landline, sometimes an e-mail address and a next follow-up.
func (g Gen) Lead(i int, now time.Time) lead.Fields {
	r := g.rng(kindLead, i)
	c := pick(r, cities)
	f := lead.Fields{Name: PersonName(r), Source: pick(r, sources), Industry: pick(r, industries), Level: pick(r, levels),
		Address: Address(r, c.Name), Remark: pick(r, remarks)}
	if r.IntN(10) < 9 {
		f.Company = Company(r)
	}
	if r.IntN(10) < 7 {
		f.Mobile = Mobile(r)
	}
	if f.Mobile == "" || r.IntN(2) == 0 {
		f.Phone = Landline(r, c.Code)
	}
	if r.IntN(10) < 3 {
		f.Email = Email(r)
	}
	if r.IntN(10) < 3 {
		t := now.Add(time.Duration(1+r.IntN(30*24)) * time.Hour).Truncate(time.Hour).UTC()
		f.NextFollowUpAt = &t
	}
	return f
}

// customerSpace is how many distinct customer names CustomerName can make.
var customerSpace = len(cities) * len(brands) * len(qualifiers) * len(trades)

// CustomerCapacity is the most customers one seed can make: their names must differ after
// customer.NormalizeName (the legal suffix does not count), as a customer's id follows from it.
func CustomerCapacity() int { return customerSpace }

// CustomerName is the i-th customer's name, different from every other index's below
// CustomerCapacity (i is spread over the name space by a multiplication modulo its size, so
// consecutive customers do not share a city and brand).
func (g Gen) CustomerName(i int) string {
	n := uint64(customerSpace)
	k := (uint64(i)*stride(n) + g.Seed) % n
	city := cities[k%uint64(len(cities))]
	k /= uint64(len(cities))
	brand := brands[k%uint64(len(brands))]
	k /= uint64(len(brands))
	qual := qualifiers[k%uint64(len(qualifiers))]
	k /= uint64(len(qualifiers))
	trade := trades[k]
	return city.Name + brand + qual + trade + suffixes[uint64(i)%uint64(len(suffixes))]
}

// stride is a multiplier coprime with n: multiplying by it permutes 0..n-1.
func stride(n uint64) uint64 {
	s := uint64(1_000_003) // a prime
	for gcd(s, n) != 1 {
		s += 2
	}
	return s
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Customer is the i-th customer's fields (Name from CustomerName) and status.
func (g Gen) Customer(i int) (customer.Fields, customer.Status) {
	r := g.rng(kindCustomer, i)
	name := g.CustomerName(i)
	var city = cities[0]
	for _, c := range cities {
		if strings.HasPrefix(name, c.Name) {
			city = c
		}
	}
	f := customer.Fields{Name: name, LegalRepresentative: PersonName(r), Level: pick(r, levels), Industry: pick(r, industries),
		Source: pick(r, sources), Nature: pick(r, customer.Natures), Type: pick(r, customer.Types), Size: pick(r, customer.Sizes),
		Country: "中国", Province: city.Province, City: city.Name + "市", District: pick(r, districts),
		Address: Address(r, city.Name), Phone: Landline(r, city.Code), Remark: pick(r, remarks)}
	if r.IntN(2) == 0 {
		f.Email = Email(r)
	}
	if r.IntN(3) == 0 {
		f.Website = fmt.Sprintf("www.c%07d.com.cn", i)
	}
	status := customer.StatusPotential
	switch r.IntN(10) {
	case 0, 1:
		status = customer.StatusCooperating
	case 2:
		status = customer.StatusClosedDeal
	}
	return f, status
}

// Needle2 is a two-character search: half the time the start of a person's name (surname and
// first given character, drawn as names are, so 王伟 comes up often), else a brand or a city.
func Needle2(r *rand.Rand) string {
	switch k := r.IntN(10); {
	case k < 5:
		s := pick(r, surnames)
		for len([]rune(s)) < 2 {
			s += pick(r, givenChars)
		}
		return string([]rune(s)[:2])
	case k < 8:
		return pick(r, brands)
	default:
		return pick(r, cities).Name
	}
}

// Needle4 is a four-character search: a brand and its trade (星河科技) or a city and a brand
// (北京星河).
func Needle4(r *rand.Rand) string {
	if r.IntN(2) == 0 {
		for {
			if t := pick(r, trades); len([]rune(t)) == 2 {
				return pick(r, brands) + t
			}
		}
	}
	return pick(r, cities).Name + pick(r, brands)
}

// PhoneNeedle is a search by phone digits: a mobile's first seven digits.
func PhoneNeedle(r *rand.Rand) string {
	return pick(r, mobilePrefix) + fmt.Sprintf("%04d", r.IntN(10_000))
}

// FollowUpRemark is a remark a sales user writes after calling a lead.
func FollowUpRemark(r *rand.Rand, n int) string {
	return fmt.Sprintf("第%d次回访：%s", n, pick(r, remarks[:6]))
}
