"""The words and phrases the classifier weighs (DESIGN.md, "Triage taxonomy").

Patterns run on normalised text: normalise.py's plain form (NFKC, simplified characters,
typos and dialect words mapped) in lower case.
English patterns go through `en()` so that they match whole words even when glued to
Chinese characters ("的fire lane被"), where `\\b` would not see a boundary.
Weights are small integers; a category needs HAZARD_THRESHOLD to count as a report.
"""

from triage.understanding.taxonomy import Category, Severity

HAZARD_THRESHOLD = 3


def en(pattern: str) -> str:
    """Whole-word English pattern that also works next to CJK characters."""
    return rf"(?<![a-z])(?:{pattern})(?![a-z])"


def prefix(pattern: str) -> str:
    """English word stem: "charg" matches charge, charging, charger."""
    return rf"(?<![a-z])(?:{pattern})"


def both(a: str, b: str) -> str:
    """`a` and `b` anywhere in the message, in any order."""
    return rf"^(?=[\s\S]*(?:{a}))(?=[\s\S]*(?:{b}))"


def near(a: str, b: str, gap: int = 12) -> str:
    """`a` and `b` in either order within one sentence, at most `gap` characters apart.

    English spends about three letters per Chinese character, so a stretch without
    Chinese characters may be up to three times as long.
    """
    between = rf"(?:[^。！？!?\n]{{0,{gap}}}|[^。！？!?\n\u4e00-\u9fff]{{0,{gap * 3}}})"
    return rf"(?:(?:{a}){between}(?:{b})|(?:{b}){between}(?:{a}))"


# Words that look like fire but are not about it; blanked out before anything else.
FALSE_FRIENDS = [
    r"火锅",
    r"火车",
    r"火腿",
    r"火候",
    r"上火",
    r"发火",
    r"火气",
    r"火爆",
    r"火红",
    r"红火",
    r"恼火",
    r"气得冒火|心里冒火|冒火气",
    r"火龙果",
    r"火鸡",
    r"火箭",
    r"烟花秀",
    r"烟酒",
    r"烤火鸡",
    en(r"fire ?dragon"),
    en(r"(?:got|get|was|were|been|be|getting) fired"),
    en(r"fired up"),
    en(r"firewall|firefox|fire ?tv|fire sale|fire away|fireworks? (?:show|display)s?"),
    en(r"hot ?pot"),
    # "people smoke in the stairwell": cigarettes, not a fire (open_flame reads "smok" after).
    en(
        r"(?:people|someone|somebody|they|he|she|neighbou?rs?|workers?|guys?|staff|residents) "
        r"(?:keeps? |still |often |always )?smok(?:e|es)(?= in| on| at| and| near| everywhere)"
    ),
]

# ---------------------------------------------------------------- emergencies
# "strong" fires on its own; "medium" is cancelled by habitual wording ("every night").
EMERGENCY_STRONG = [
    r"(?:着|起|失)火了",
    r"(?:着|起)火啦",
    r"火灾了",
    r"(?:烧|着|燃)起来了?",
    r"烧着了",
    r"火(?:很|好|特别|非常)?大",
    r"火势",
    r"大火(?![星车锅候])",
    r"全是火",
    r"火苗.{0,4}(?:窜|冒|蹿|往上)",
    r"火从.{0,8}(?:冒|窜|蹿|喷)",
    r"火.{0,4}(?:往外|往上|往下)?(?:窜|蹿|喷出)",
    r"火烧到",
    r"越烧越",
    r"烧过来",
    r"蔓延",
    r"浓烟",
    r"黑烟",
    r"滚滚",
    r"(?:全是|都是|好多|很多|一股|好大的?|满屋子?|满楼道)烟(?![头蒂灰味花草酒])",
    r"烟(?:很|好|特别)大",
    r"呛得.{0,4}(?:喘|睁|受)",
    r"被困",
    r"被(?:锁|关|反锁)在(?:屋|家|房|里|楼)",
    r"(?:^|[\s，,。])火[!！]+|^火$",
    r"(?:燃气|煤气|天然气|可燃气体)(?:泄漏)?报警器?.{0,4}(?:响|叫|报警)",
    r"有人.{0,6}出不来|出不来了|(?:卡|关|锁)在.{0,10}(?:有人|出不来)",
    r"困在",
    # From the corpus's train split: "窗外有火光", "老人在屋里出不来", "火越来越大", "爆燃".
    r"有火光|火光冲天",
    r"(?:老人|孩子|小孩|人)[^，,。!！?？]{0,6}出不来|被烟(?:堵|封|困)",
    r"火越来越大|爆燃",
    en(r"smoke in the (?:stairwell|stairs|hall|hallway|corridor|lift|elevator|flat|room|kitchen)"),
    r"困住",
    r"困了人",
    r"救命",
    r"救救",
    r"爆炸",
    r"炸了",
    r"(?:煤气|燃气|天然气|液化气|瓦斯)(?:的)?(?:味|泄漏|泄露)",
    r"漏气",
    # "天然气管道在漏", "液化气漏了"; a gas word then 漏 (not a water pipe or a rainy roof).
    r"(?:煤气|燃气|天然气|液化气|瓦斯|气罐|气瓶)[^，,。!！?？\s]{0,8}漏(?![水雨电])",
    # The hiss of escaping gas: "煤气罐的管子呲呲在响" (a hissing fuse box is a wiring fault).
    r"(?:煤气|燃气|天然气|液化气|气罐|气瓶|软管|管子|阀门)[^。!！?？\n]{0,10}(?:呲呲|嘶嘶|哧哧|呲呲)",
    en(r"(?:gas|cylinder|hose|pipe|valve|tank)[^.!?\n]{0,30}hiss(?:es|ing)?"),
    # From the train split's misses: "煤气管道破了，气往外冒", "煤气罐胶管裂了，一闻全是味".
    r"(?:煤气|燃气|天然气|液化气|气罐|气瓶)[^，,。!！?？\s]{0,6}(?:管|阀)[^，,。!！?？\s]{0,3}(?:破|裂|断|爆)",
    r"气(?:一直)?往外(?:冒|跑|喷|漏)|一闻全是(?:煤气|燃气|气)?味",
    # The odorant of town gas: "煤气灶那边有股臭鸡蛋味" (issue 13: gas in any wording).
    r"臭鸡蛋(?:的)?(?:味|气味)",
    en(r"rotten eggs?"),
    en(
        r"(?:gas|cylinder|hose|pipe|valve)[^.!?\n]{0,30}(?:is |'s )?(?:leaking|cracked|broken|split)"
    ),
    r"(?:煤气|燃气|天然气|液化气|瓦斯)[^。!！?？]{0,12}(?:有股味|一股味|有味道?|臭味|怪味)",
    r"闻到.{0,8}(?:焦|糊|烧|煤气|燃气|天然气|液化气)",
    r"(?:焦糊|烧焦|糊|焦)(?:的)?味",
    # A thing burning now: "车库里一辆车在烧", "外墙在烧" (not someone burning paper or rubbish).
    r"(?:车|墙|房|楼|屋|树|草|柜|沙发|床|被|窗帘|线|电池|插座|插排|电箱|门)[^，,。!！?？\s]{0,2}"
    r"(?:正|还|都)?在(?:燃)?烧(?!烤|饭|菜|水|纸|香|开)",
    r"没灭",
    r"灭不了",
    r"灭不掉",
    r"扑不灭",
    r"控制不住",
    en(r"on fire"),
    r"^(?:fire[\s!,.]*){2,}$",
    r"^\s*fire\s*[!.]*\s*$",
    en(r"gas (?:alarm|detector)s? (?:is |are )?(?:going off|beeping|sounding|ringing)"),
    en(r"there(?:'s| is| are) (?:a )?(?:big |huge )?fires?"),
    en(r"fire!+"),
    en(r"flames?"),
    en(r"(?:is|are|was|it's|its|still) (?:burning|smoking|sparking|melting)"),
    en(r"burning and"),
    en(r"(?:hissing|sparking|popping|crackling|melting|burning) and smok(?:ing|e)"),
    en(
        r"(?:batter(?:y|ies)|socket|outlet|plug|charger|wires?|cables?|panel|box|heater|transformer|"
        r"bikes?|scooters?|car|engine|stove|pan|oven)[^.!?\n]{0,25}(?:smoking|sparking|burning|on fire|melting)"
    ),
    en(r"caught fire"),
    en(
        r"fire(?:'s| is) (?:still )?(?:going|growing|burning|spreading|getting|out of control|coming|near|close)"
    ),
    en(
        r"(?:lots of|so much|thick|black|heavy|full of|there'?s|there is|i see|can see|smell) smoke"
    ),
    en(
        r"smoke (?:is )?(?:coming|pouring|rising|billowing|everywhere|filling|in the (?:shaft|lift|hall|corridor))"
    ),
    en(r"smell(?:s|ing)? (?:of |like )?(?:gas|burning|burnt|burned|something burning|smoke)|smoky"),
    en(r"gas (?:smell|leak)|leaking gas|gas(?: is|'s)? leaking"),
    en(r"burning smell"),
    en(r"trapped|stuck inside|can'?t get (?:out|down)|cannot get (?:out|down)"),
    en(r"explo(?:sion|ded)"),
    en(r"spreading"),
    en(r"help!+|help me|help us"),
]
EMERGENCY_MEDIUM = [
    r"(?:着|起|失)火(?!的|点|隐患|风险|原因|报警|时)",
    r"冒(?:黑|白|青)?烟",
    r"有烟(?![头蒂灰味花草酒])|烟(?:冒|飘|往|从)",
    r"冒火",
    r"烟味",
    r"好呛|呛得|呛死|呛人|呛鼻",
    r"火星",
    r"火花四溅",
    # "插座里有火花在往外冒": sparks coming out now (a spark cue, so "一插就冒火花" stays a fault).
    r"火花(?=[^，,。!！?？\s]{0,4}(?:冒|蹿|窜|喷|溅))",
    r"噼里啪啦|噼啪",
    r"(?<![睡找看跟接急闹顶撑拿用对盯靠守冲等趁听忍憋藏抱背站坐躺笑哭吃喝写穿戴挂放贴开关锁带扛憋赶犯])着了",
    r"烧东西的味",
    # "一股烧塑料的味道"; not food ("烧烤味", "红烧").
    r"(?<!红)烧(?!烤|饼|鸡|麦|菜|饭|水|卖|香|纸)[^，,。!！?？\s]{0,4}的?(?:味|气味)",
    # The smell told first, then what it is like (issue 13 item 6, a burning smell in any
    # wording): "有股怪味，像烧塑料的", "一股味道好像电线烧了".
    r"(?:味|味道|气味)[^。!！?？]{0,3}(?:像|好像|似乎|有点像|跟)[^，,。!！?？\s红]{0,6}"
    r"(?:烧(?!烤|饼|鸡|麦|菜|饭|水|卖|香|纸|垃圾|树叶|落叶|秸秆|杂草|草)|焦|糊)",
    r"越来越呛|呛得越来越|越呛越",
    r"火警",
    r"快来人",
    en(r"fire (?:in|on|at) (?:the|my|our|block|building|floor|unit)"),
    en(r"burning"),
    en(r"sparking"),
    en(r"sparks (?:are )?(?:flying|coming|shooting)"),
    en(r"(?:alarm|alarms) (?:is |are )?going off"),
    en(r"smoke from|hissing"),
]
# The fire is growing or people are in it: no habit or hedge stands these down.
SPREADING = [
    r"越烧越|烧到|烧过来|蔓延|火很大|火好大|火特别大|救命|被困|困在|出不来|下不去|下不来",
    en(r"spreading|getting (?:close|closer|bigger)|trapped|help|can'?t get (?:out|down)|stuck"),
]
# Someone smelling or seeing it is reporting, not quizzing: "闻到烧焦味 不知道哪来的".
OBSERVED = [
    r"闻到|看到|看见|听到|眼睛|睁不开|有股|一股|不知道(?:从)?哪(?:里|儿)?(?:来|冒|传)?",
    en(r"i (?:can )?(?:smell|see|hear)|smell of|can'?t find"),
]
# Sparks from welding or grinding are a work hazard, not a fire.
WORK_SPARKS = [r"焊|气割|切割|打磨", en(r"weld(?:ing|er|s)?|grind(?:ing|er)?|cutting")]
SPARK_CUES = {
    "火星",
    "火花",
    "火花四溅",
    "sparking",
    "冒火",
    "sparks flying",
    "sparks coming",
    "sparks shooting",
}
# "一插就冒火花": it sparks whenever something happens, a fault rather than a fire.
WHENEVER = [r"一[^，,。!！?？]{1,8}就", en(r"whenever|every time|each time")]
# "没有着火", "no smoke": blanked before looking for fire words.
NEGATED_FIRE = [
    r"(?:没有?|不是|并没有?|无|未)(?:着火|起火|冒烟|烟味|明火|火情|燃气味|煤气味)",
    en(r"(?:no|not|isn'?t|wasn'?t|no sign of) (?:a |any )?(?:fire|smoke|flames?|gas smell)"),
    # Round 6 (issue 13): cooking fumes are not smoke ("楼下饭馆炒菜的油烟味飘上来", "邻居炒辣椒，
    # 呛得直咳嗽", "烧烤摊的烟味"); a fire word in between keeps the alarm ("炒菜时油锅着火了，呛得…").
    r"油烟味?",
    r"(?:炒|煎|炸|熏|爆)(?:菜|辣椒|肉|鱼|腊肉|东西|花椒)?[^。!！?？火燃烧焦糊]{0,8}(?:呛得|呛人|呛鼻|好呛|烟味)",
    r"(?:烤鱼|烧烤|烤肉|烤串|撸串)(?:店|摊|档)?(?:的|那边的?)?烟味",
    # Someone burning rubbish, leaves or straw on purpose is a flame at work (open_flame, a
    # hazard), not a fire out of control: "someone is burning rubbish next to the parked cars".
    en(
        r"(?:(?:some|any)(?:one|body)|people|they|he|she|a (?:man|woman|farmer|neighbou?r|worker|cleaner|gardener)|"
        r"the (?:farmers?|cleaners?|gardeners?|workers?|neighbou?rs?|restaurant|shop)|neighbou?rs?|workers?|residents?|"
        r"villagers?|farmers?)(?: \w+)? (?:is |are |was |were |keeps? |'s |'re )?(?:still )?burning "
        r"(?:(?:a |some |the |their |his |her |piles? of |heaps? of )?(?:trash|rubbish|garbage|leaves|paper|waste|straw|"
        r"weeds|stuff|plastic|offerings|joss paper|tyres|tires|wood|branches|cardboard|boxes|grass))"
    ),
    en(r"cooking (?:smells?|fumes)|smells? of (?:cooking|frying|barbecue|bbq)|frying smell"),
]
# Kinds of context that say the fire is not happening now.
PAST = [
    r"上(?:周|个?星期|个?月|次|回)",
    r"昨(?:天|晚)",
    r"前(?:天|几天|阵子|段时间)",
    r"去年",
    r"以前",
    r"之前",
    r"曾经",
    r"(?:着|起|失|烧)过(?:一次|一回|两次)?火?",
    r"那次",
    r"已经(?:被)?(?:灭|扑灭|熄灭)",
    r"(?<!没)(?<!没有)(?:灭|扑灭|熄灭)(?:了|掉了)",
    en(
        r"last (?:week|month|year|night|time)|yesterday|years? ago|used to|was put out|were put out|put it out|extinguished|had a fire"
    ),
]
PRESENT = [
    r"现在",
    r"正在",
    r"还在",
    r"刚(?:才|刚)",
    r"此刻",
    r"马上",
    r"越来越",
    r"一直在",
    en(r"now|right now|still|currently|just now"),
]
_FIRE_CUES = "|".join(EMERGENCY_STRONG + EMERGENCY_MEDIUM)
# A past fire burning again: "now"/"again"/"today" right before the fire words, or "still"
# right after them ("上周着过火，今天又着火了", "昨天着火了，现在还在冒烟").
PRESENT_FIRE = [
    rf"(?:{'|'.join(PRESENT)}|又|今天|今晚|again|today|tonight)[^。！？!?\n]{{0,8}}(?:{_FIRE_CUES})",
    rf"(?:{_FIRE_CUES})[^。！？!?\n]{{0,4}}(?:还在|还有|仍在|仍然|又)",
    en("still (?:burning|smoking|on fire|smouldering|smoldering)|again"),
]
HABITUAL = [
    # Round 6: a smell that comes whenever a device is used is a fault, not a fire now
    # ("一用电饭煲就有焦味", "一开空调就有股烧焦的味道"); "一进门就闻到焦味" is now.
    r"一(?:用|插上?|通电|煮饭|开机|充电|开(?:空调|电暖|暖气|取暖器|灯|热水器|微波炉|烤箱|电饭|洗衣机|吹风|风扇))"
    r"[^，,。!！?？]{0,8}就",
    r"天天",
    r"每(?:天|晚|周|次|到|年|逢)",
    r"经常",
    r"老是",
    r"总是",
    r"时不时",
    r"动不动",
    r"一到",
    en(
        r"every ?(?:day|night|time|weekend|week|evening|morning|afternoon)|everyday|always|all the time|often|"
        r"(?:someone|somebody|people|he|she|they|guy|neighbou?rs?) keeps? (?:on )?\w+ing|regularly"
    ),
]
DRILL = [r"演习", r"演练", r"测试", r"试验", en(r"drills?|tests?|testing|practice")]
HYPOTHETICAL = [
    r"如果",
    r"万一",
    r"要是",
    r"假如",
    r"假设",
    r"遇到",
    r"发生.{0,6}(?:时|的时候)",
    r"的时候",
    # "着火时被困在家里怎么自救": when there is a fire, not "there is a fire".
    r"(?:着火|起火|失火|火灾|有火)时",
    en(r"if|in case|what happens when|suppose"),
]
# Asking what to do in general rather than shouting for help.
ADVICE = [
    r"应该",
    r"该怎么|该干嘛|该做什么|第一步|先做什么|先干嘛",
    r"怎么逃生|怎么自救",
    r"如何",
    r"能不能用",
    r"用什么|拿什么",
    r"能.{0,6}吗",
    r"可以.{0,6}吗",
    r"还是.{0,10}[?？]?$",
    r"要不要",
    # From the train split's misses: "电动车起火为什么蔓延那么快", "插座冒火花是怎么回事".
    r"为什么|为啥|怎么回事|行不行|会不会|会.{0,4}吗|是打119还是",
    en(r"why|what does|what do i do|what should"),
    r"要不要",
    en(
        r"should (?:i|we|you)|how (?:do|to|can|should)|what should|can i use|is it (?:ok|safe|better)"
    ),
]
# A cry for help in a question's shape: "我被困在屋里了，应该怎么办".
CRY = [
    r"快(?!不快|吗)|(?<!自)救|赶紧|我(?:们)?(?:被)?困|困住了|出不去|下不去|已经打",
    en(
        r"help|hurry|we'?re (?:stuck|trapped)|we are (?:stuck|trapped)|i'?m (?:stuck|trapped) (?!by)"
    ),
]
URGENCY = [
    r"快",
    r"(?<!自)救",
    r"!!|！！",
    r"赶紧",
    r"急",
    en(r"help|now|hurry|quick|asap"),
]
# Up or down the stairs as a direction ("往楼上跑还是往楼下跑"), not a place that burns.
DIRECTION = r"(?:往|向|朝)(?:楼上|楼下|楼顶|上|下)(?:面)?(?:跑|走|逃|冲)?"
# Where or what is burning: with one of these, "…了怎么办" is a person in trouble, not a quiz.
EMERGENCY_ANCHOR = [
    r"隔壁",
    r"楼下",
    r"楼上",
    r"对面",
    r"对门",
    r"邻居",
    r"我家|我们家|我的|家里的",
    r"楼道",
    r"走廊",
    r"厨房",
    r"车库",
    r"仓库",
    r"阳台",
    r"电梯",
    r"地下室",
    r"店里",
    r"屋里",
    r"房间",
    r"\d+\s*(?:号楼|栋|幢|层|楼|单元|室|号)",
    en(
        r"my|our|next door|neighbou?rs?|building|floor|block|kitchen|lobby|hallway|stairwell|lift|garage"
    ),
]
# What is burning. Enough to make "电动车着了怎么办" a cry for help, but not "电池着火了用水能灭吗":
# a how-to question about a thing is a quiz unless a real place comes with it.
EMERGENCY_OBJECT = [
    r"电热毯|电池|电动车|电瓶车|插排|插座|插线板|电线|配电|锅|窗帘|沙发|被子",
    en(r"battery|bike|scooter"),
]

# ---------------------------------------------------------------- hazard categories
C = Category

# Single words: (pattern, weight). Place words weigh little; a place becomes a report
# through a combo with a problem word below.
CATEGORY_TERMS: dict[Category, list[tuple[str, int]]] = {
    C.FIRE_LANE: [
        (r"消防车(?:通)?道", 3),
        # "消防道上那车停了…": the short northern name of the same lane.
        (r"消防道(?![^。！？!?\n]{0,8}(?:楼道|楼梯|走廊))", 3),
        (r"生命通道", 3),
        (r"消防登高(?:场地|面)|登高场地", 3),
        (r"消防通道(?![^。！？!?\n]{0,8}(?:楼道|楼梯|走廊))", 2),
        (r"消防车.{0,6}(?:进不来|进不去|开不进|过不去|进不了)", 3),
        (
            en(
                r"fire (?:lane|access|route|road)s?|fire (?:engine|truck) (?:access|lane|road|route)s?"
            ),
            3,
        ),
        (en(r"fire (?:engine|truck)s? (?:can'?t|cannot|couldn'?t|won'?t) (?:get|come|pass)"), 3),
        (en(r"emergency vehicle (?:lane|access|route)s?"), 3),
    ],
    C.EXIT_BLOCKED: [
        (r"安全出口(?!指示|标志|标识|灯|牌)", 2),
        (r"疏散(?:通道|楼梯|出口|走道)(?!指示|标志|灯)", 3),
        (r"逃生(?:通道|出口|门)", 3),
        (r"(?:应急|紧急)出口(?!指示|标志|灯)", 2),
        (r"消防(?:楼梯|梯)", 2),
        (r"(?:防火|消防)门", 2),
        (r"楼梯间|楼梯口|楼梯|楼道|走廊|过道|通道口", 1),
        # Added from the corpus's train split (issue 13).
        (r"安全通道|避难层", 2),
        (r"(?:铁栅栏|铁丝|铁链)(?:拴|隔|封|拦)|拴死", 2),
        (
            both(
                r"锁.{0,3}门|门.{0,3}锁", r"里面(?:还|都)?有(?:人|工人)|有人在里面|加班|住人|上班"
            ),
            3,
        ),
        (en(r"(?:emergency|fire|back|rear|side) (?:exit|door)s?(?! signs?)"), 2),
        (en(r"fire escapes?|escape routes?|evacuation routes?"), 3),
        (en(r"stairwells?|staircases?|stairs|corridors?|hallways?|exits?"), 1),
        (en(r"landings?"), 1),
        (en(r"barely (?:pass|get through)|can'?t (?:pass|get through)"), 2),
        (en(r"fire doors? (?:removed|missing|taken)|(?:removed|took) the fire doors?"), 3),
    ],
    C.EBIKE: [
        (r"电动(?:自行)?车|电瓶车|电单车|小?电驴|电摩|电动摩托|电动三轮|电动滑板车|平衡车", 3),
        (r"飞线(?:充电)?|拉.{0,4}线.{0,8}充|私拉.{0,6}充电", 4),
        (both(r"充电棚|充电桩|充电", r"拉线|拉电线|拉插线板|拉插排|拉.{0,4}线下来"), 3),
        # "只好把车推上楼充": the bike goes indoors to be charged.
        (
            r"(?:推|扛|拎|搬|带|抬|弄)(?:车|着车|回|进|上)?.{0,3}(?:上楼|回家|进屋|进家|进门|进电梯|到家|楼上)"
            r".{0,6}充",
            3,
        ),
        (
            both(
                r"充电(?:棚|桩|站|柜|口)",
                r"只好|只能|没办法|所以大家|大家都|都把|就把|推上楼|推回家|带回家|拉线|拉.{0,4}线",
            ),
            2,
        ),
        (r"锂电池|电瓶|电池", 1),
        (
            en(
                r"e-?bikes?|e-?scooters?|electric (?:bikes?|scooters?|bicycles?|mopeds?|motorbikes?)|mopeds?"
            ),
            3,
        ),
        (en(r"flying (?:wire|cable|lead)s?"), 4),
        (en(r"lithium batter(?:y|ies)|batter(?:y|ies)"), 1),
        (en(r"scooters?"), 2),
    ],
    C.ELECTRICAL: [
        (r"电线|线路|电路|花线|铝线|老线", 2),
        (r"电缆|铜丝|拉.{0,6}接电|插在一个(?:插线板|插排|插座)", 1),
        (r"(?:电表箱|配电箱|电箱)(?:的)?门", 1),
        (r"插排|插线板|排插|接线板|插座|插板|转换头|转换插头", 2),
        (r"配电(?:箱|柜|间|房)|电表箱|电箱|电闸|空开|总闸|变压器", 2),
        (r"私拉(?:乱接)?|乱接|乱拉", 3),
        (r"漏电|跳闸|超负荷|过载|短路", 3),
        (r"裸露|线头|接头", 1),
        (r"开关面板|面板", 1),
        (en(r"wiring|wires?|cables?"), 2),
        (en(r"extension (?:cord|lead|cable)s?|power (?:strip|board|bar)s?|adapters?"), 3),
        (en(r"sockets?|outlets?|plugs?"), 2),
        (
            en(
                r"breakers?|fuses?|fuse ?box(?:es)?|distribution (?:box|board)|junction box(?:es)?|electrical panel|transformer"
            ),
            2,
        ),
        (en(r"overload(?:ed)?|rewired|short circuit|daisy.?chain(?:ed)?"), 3),
        (en(r"exposed"), 1),
    ],
    C.FIRE_EQUIPMENT: [
        (r"灭火器", 2),
        (r"消(?:防|火)栓", 2),
        (r"水带|水枪|消防箱|消防柜", 2),
        (r"喷淋|喷头|喷洒", 2),
        (r"烟感|烟雾(?:报警|探测)器?|火灾(?:自动)?报警|消防报警|报警器|火警铃", 2),
        (r"应急(?:灯|照明)|疏散指示|(?:安全|应急)出口(?:指示|标志|标识|灯|牌)|指示灯", 2),
        (r"消防(?:水池|水泵|水箱|设施|器材|设备)|防火卷帘", 2),
        (r"灭火毯", 1),
        (en(r"(?:fire )?extinguishers?"), 2),
        (en(r"hydrants?|sprinklers?|hose reels?|fire hoses?"), 2),
        (en(r"smoke (?:alarm|detector)s?|fire alarms?|alarm panel|fire panel"), 2),
        (en(r"emergency light(?:s|ing)?|exit signs?"), 2),
    ],
    C.FLAMMABLES: [
        (r"(?:液化|煤|燃|天然)气(?:罐|瓶)|气罐|钢瓶", 4),
        (r"液化气|煤气(?!味)", 2),
        (r"汽油|柴油|油桶|煤油", 3),
        (r"灌装|充装|打火机(?:气|油)", 3),
        (r"酒精(?!炉)|甲醇|丙酮|乙炔", 2),
        (r"油漆|稀料|稀释剂|天那水|香蕉水|溶剂|胶水", 3),
        (r"烟花|爆竹|鞭炮|炮仗", 2),
        (r"易燃|易爆|危化品|危险品|化学品", 2),
        (en(r"lpg|propane|butane|gas (?:cylinder|tank|bottle|can)s?"), 4),
        (en(r"petrol|gasoline|diesel|kerosene|jerry ?cans?|fuel"), 3),
        (en(r"paint thinners?|thinners?|solvents?|acetone"), 3),
        (en(r"alcohol|paint"), 2),
        (en(r"fireworks?|firecrackers?"), 2),
        (en(r"flammables?|combustibles?|chemicals?"), 2),
    ],
    C.OPEN_FLAME: [
        (r"烧(?:纸|纸钱|香|垃圾|树叶|落叶|秸秆|东西|杂草|草|荒|火|炭|煤|塑料|轮胎)", 4),
        (r"焚烧|点火|明火|动火", 3),
        (r"电焊|焊接|气割|切割|焊(?!死|住|上了|了)", 3),
        (r"抽烟|吸烟|烟头|点烟|烟蒂", 3),
        (r"打火机|蜡烛|蚊香|祭祀|祭拜", 2),
        (r"香炉|香火|烧香", 2),
        (r"孔明灯|篝火|火堆|火盆|炭炉|炭火|柴火|酒精炉|烤火|烧烤炉|煤炉", 4),
        (r"生火", 4),
        (en(r"sparks? (?:fly|flying|falling)"), 2),
        (en(r"cook(?:s|ing)? (?:with|over) (?:charcoal|coal|fire|wood)"), 2),
        (en(r"(?:light|burn)(?:s|ing)? (?:candles|incense)"), 2),
        (
            en(
                r"burn(?:s|ing|ed)? (?:trash|rubbish|garbage|leaves|paper|waste|plastic|tyres|tires|wood|stuff|offerings|joss)"
            ),
            4,
        ),
        (
            en(
                r"bonfires?|open (?:fire|flame)s?|campfires?|sky lanterns?|paper offerings|joss paper|fire pits?|braziers?"
            ),
            4,
        ),
        (en(r"weld(?:ing|er|ers|s)?|cutting torch|blowtorch"), 3),
        (
            en(
                r"smok(?:e|es|ing)(?! (?:alarm|detector|sensor)s?)|cigarettes?|cigarette butts?|cigs?"
            ),
            2,
        ),
        (en(r"candles?|incense|lighters?|charcoal|barbecue|bbq|grill"), 2),
    ],
    C.OCCUPANCY: [
        (r"三合一|群租|合租房?.{0,6}(?:十|几十|二十|三十)", 4),
        (
            r"住人|睡(?:在)?(?:店|厂|车间|仓库|库房|里面|阁楼)|住(?:在)?(?:店|厂|车间|仓库|里面|阁楼)",
            3,
        ),
        (
            r"(?:有人|工人|员工|伙计|老板|一家人?).{0,4}(?:在|就)?"
            r"(?:里面|店里|厂里|仓库里?|车间里?|阁楼上?)(?:打地铺)?(?:睡觉|睡|住|过夜)",
            3,
        ),
        # "放了几张床", not "蚊香放在床边" (a thing put by a bed).
        (r"(?:搭|摆|放)了?(?!在|到).{0,4}(?:床|铺)(?![边上头旁底下])|上下铺|通铺", 3),
        (r"(?:阁楼|店里|仓库|车间|库房|储藏室)(?:上|里)?(?:住着|睡着|住了)", 3),
        (r"睡在.{0,6}(?:货堆|包裹|货物|入面)|有人睡在(?:里面|店里)", 3),
        (en(r"(?:sleep|sleeps|sleeping) in the (?:storeroom|stockroom|store room|back room)"), 4),
        (r"改成.{0,4}(?:出租屋|宿舍|住|公寓|房间)", 3),
        (r"(?:隔|分)成.{0,6}(?:小间|房间|间)|隔断|隔间", 2),
        (r"宿舍|二房东|工人住", 2),
        (r"住了.{0,5}(?:人|个)|打地铺", 2),
        (r"地下室|半地下", 1),
        (
            en(
                r"(?:sleep|sleeps|sleeping|live|lives|living) (?:in|above|upstairs|over|at|on) (?:the )?(?:shop|store|warehouse|factory|workshop|kitchen|loft|basement|restaurant)"
            ),
            4,
        ),
        (en(r"(?:workers|staff|people|employees) (?:sleep|live|stay)"), 3),
        (en(r"bunk ?beds?|overcrowded|subdivided|partitioned|group rental|used as a dorm"), 3),
        (en(r"dorms?|dormitor(?:y|ies)"), 2),
        (en(r"people living|living in"), 2),
        (
            en(
                r"(?:turned|converted|made|divided|split) [^.]{0,30}into [^.]{0,20}(?:rooms|dorms?|flats|units|bedrooms|cubicles)"
            ),
            4,
        ),
        (en(r"rents? (?:them|it) out|rooms? for rent"), 1),
        (en(r"basement"), 1),
    ],
    C.OTHER: [
        (r"彩钢(?:板|房|棚)|泡沫板|夹芯|吸音棉|海绵|软包|保温层|保温材料", 3),
        (r"泡沫(?!板|灭火)", 2),
        (r"违建|违章搭建|私搭|木板房|木棚|鸽子棚|窝棚", 3),
        (r"电缆井|管道井|管井|竖井", 3),
        (r"油烟机|烟道|积油|油污", 2),
        (r"稻草|防尘网|可燃物|可燃", 2),
        (r"干草|木屑|刨花|排烟风机|排烟窗|避难层", 2),
        (r"广告纸|小广告", 1),
        (r"(?:消防|火灾|安全)隐患|隐患|容易着火|一点就着|引起火灾", 1),
        (en(r"polystyrene|cladding|foam|insulation"), 2),
        (
            near(
                en(r"polystyrene|styrofoam|foam|sponge"),
                en(r"ceilings?|walls?|panels?|boards?|partitions?|soundproofing"),
                14,
            ),
            2,
        ),
        (en(r"grease|greasy"), 2),
        (en(r"kitchen hoods?|range hoods?|exhaust ducts?|extractor"), 2),
        (en(r"shacks?|illegal (?:structure|building)s?|paper and fabric|decorations?"), 2),
        (en(r"steel[- ]sheet|smoke vents?"), 2),
        (en(r"fire (?:hazard|risk)|(?:could|might|will) catch fire|dangerous|danger|unsafe"), 1),
    ],
}

# A place or object next to what is wrong with it. Each side lists Chinese and English
# words together so that mixed messages ("我们公司sprinkler被拆了") still pair up.
BLOCKED = (
    r"堆|堵|挡|占|塞|锁|链|焊死|封死|封住|拦|杂物|纸箱|箱子|柜子|垃圾|摆摊|摊|停满|停了|停着|停车|放满|放了|"
    r"推不开|打不开|出不去|只剩|栅栏|铁栏|焊了|卷帘|拉下来|关死|围挡|围起|圈起|护栏|铁门|道闸|"
    + en(
        r"full of|furniture|mattress(?:es)?|clutter(?:ed)?|stuff|rubbish|trash|debris|obstruct(?:ed|ing)?|"
        r"block(?:s|ed|ing)?|lock(?:s|ed)?|chain(?:s|ed)?|padlock(?:s|ed)?|stack(?:s|ed)?|piled?|boxes|junk|"
        r"parked|parking|propped|wedged|welded|gate|barrier|bollards?|obstructed|stalls?|car wash|occupied|"
        r"fenced?|fenced off|closed off|cordoned|sealed|bricked|boarded"
    )
)
BROKEN = (
    r"过期|坏|没有|没了|空瓶|空罐|不亮|不响|不能用|用不了|空的|空箱|被偷|拆|掉了|失效|红区|压力|滴滴|没电|没水|漏|"
    r"锁|挡住|挡着|堵|堆|封在|封住|打不开|套住|盖住|遮住|包住|拔了|关掉|关了|停用|碎|不见|丢|放不下|降不下|"
    r"焊死|焊住|封死|圈起|围起|圈住|围住|包起|罩起|罩住|盖起|掉下|掉地|闪|红灯|乱响|误报|生锈|锈|瘪|空了|"
    r"塑料袋|袋子|胶带|胶布|"
    r"被.{0,8}(?:占|挡|堵|圈|围|包|罩|盖|拆|偷|拿|挪|搬|锁|焊|封|遮|关|拔)|"
    r"(?<!\d)(?:19|20[01])\d(?:年)?(?!\d)|"
    + en(
        r"expired|broken|missing|removed|not working|doesn'?t work|don'?t work|dead|beeping|low battery|dark|"
        r"leaking|blocked|fault|empty|taken down|never replaced|disabled|covered|out of date|no water|stolen|"
        r"hit|leaning|damaged|seeping|bent|knocked|cut|disconnected|never reconnected|turned off|shut off|"
        r"switched off|painted over|capped|bagged|used as|storage|stuffed|filled with|(?:been|are|is|went|all) out|"
        r"fenced|cordoned|welded|wrapped|taped over|in the red|needle|flashing|blinking|chirping|rust(?:ed|y)|"
        r"jammed|seized|no hose|no pressure|locked|"
        r"flicker(?:s|ing)?|(?:19|20[01])\d"
    )
)
WIRE_TROUBLE = (
    r"老化|破|裸露|露出|乱|私拉|飞线|串|缠|胶布|发烫|烫|烧黑|烧焦|变色|冒火|火花|跳闸|掉渣|脆|滴水|漏水|进水|"
    r"漏电|自己拉|掉了|吊|晃|松|挂在|坏|露(?!台|天)|泡(?!沫|面|茶)|淋|垂|耷拉|"
    + en(
        r"exposed|hanging|frayed|old|hot|melt(?:ed|ing)?|scorch(?:ed)?|burn marks?|sparks?|trips?|tripping|"
        r"chained|overloaded|taped|no cover|daisy|improvised|burnt|burned|charred|loose"
    )
)
WIRES = (
    r"电线|线路|电路|插排|插线板|排插|接线板|接线盒|电缆|桥架|插座|插板|配电|电表箱|电箱|接头|线|开关|"
    + en(
        r"wir(?:es?|ing)|cables?|cords?|sockets?|outlets?|plugs?|power strips?|breakers?|box|panel"
    )
)
EQUIPMENT = (
    r"灭火器|消(?:防|火)栓|水带|喷淋|喷头|烟感|报警器|报警|应急灯|应急照明|指示灯|指示牌|疏散指示|消防水池|水泵|消防设施|"
    r"防火卷帘|卷帘门|消防箱|消防柜|水枪|探测器|"
    + en(
        r"extinguishers?|hydrants?|sprinklers?|smoke (?:alarm|detector)s?|fire alarms?|alarm panel|"
        r"emergency lights?|exit signs?|hose"
    )
)
EBIKES = r"电动(?:自行)?车|电瓶车|电单车|小?电驴|电瓶|电池|电摩|" + en(
    r"e-?bikes?|e-?scooters?|electric (?:bikes?|scooters?)|scooters?|batter(?:y|ies)"
)
EBIKE_TROUBLE = (
    r"充(?!电棚|电桩|电站)|插着电|拉线|拉的线|接线|楼道|楼梯|走廊|大厅|门厅|电梯|家里|家门|屋里|卧室|室内|入户|"
    r"地下室|车库|店里|带回家|拎回家|推进|上楼|出入口|通道|门口|出口|"
    + en(
        r"charg(?:e|es|ed|ing)|lobby|hallway|corridor|stairwell|stairs|elevator|lift|bedroom|flat|indoors|"
        r"inside|plugged"
    )
)
FUELS = r"气罐|煤气罐|液化气|汽油|柴油|油漆|稀料|酒精|烟花|鞭炮|丙酮|" + en(
    r"lpg|gas (?:cylinder|tank|bottle)s?|propane|petrol|gasoline|diesel|paint|thinners?|solvents?|acetone|"
    r"alcohol|fireworks?|firecrackers?"
)
STORED = r"堆|放|存|囤|藏|卖|摆|摞|码着|码了|垒|楼道|阳台|家里|地下室|仓库|车库|" + en(
    r"stor(?:e|es|ed|ing)|kept|keeps?|piled|stacked|cans|bottles|barrels|stairwell|balcony|garage|"
    r"basement|hallway|next to|selling"
)

EXPIRED = r"过期|过了期|(?<!\d)(?:19|20[01])\d(?:年)(?!\d)|" + en(
    r"expired|out of date|(?:19|20[01])\d"
)
COMBUSTIBLES = r"泡沫|纸板|纸箱|废纸|废品|可燃|木屑|刨花|棉花|" + en(
    r"cardboard|boxes|polystyrene|foam|scrap paper|sawdust"
)

# Someone burning, welding or cooking on an open fire right now.
FLAME_AT_WORK = (
    r"烧(?:纸|垃圾|树叶|落叶|东西|秸秆|杂草)|炭炉|炭火|柴火|篝火|火堆|焚烧|点火|焊(?!死|住)|气割|"
    + en(
        r"burn(?:s|ing|ed)? (?:trash|rubbish|garbage|leaves|paper|waste|plastic|tyres|tires|wood|stuff)|bonfires?|fire pits?|braziers?|weld(?:ing|s)?"
    )
)

# Fourth round (issue 13), from the train split's out-of-fold category misses.
CATEGORY_TERMS[C.ELECTRICAL] += [
    (r"灯泡|灯罩|灯管|灯头|电热毯|电暖器|小太阳", 2),
    (en(r"bulbs?|lamps?"), 2),
]
CATEGORY_TERMS[C.OCCUPANCY] += [
    (
        r"楼上住(?:着|了|人)|住着.{0,6}一家|一家(?:人|几口)?(?:就)?住在|睡在.{0,4}(?:摊位|柜台|店铺|货架)",
        3,
    ),
]
# Sixth round (issue 13): rooms let out or slept in where people should not live.
CATEGORY_TERMS[C.OCCUPANCY] += [
    (r"(?:出租屋|出租房|租房|群租房?|宿舍|合租房?).{0,8}(?:隔断|隔板|隔成|隔出|隔间)", 4),
    (r"吃住都在|床位|行军床|铺位|住宿舍|(?:楼上|后面|里面|阁楼)住人", 3),
    (
        r"(?:工人|员工|店员|伙计|学徒|搬运工|厨师|保安|打工的)[^，,。!！?？]{0,6}(?:睡|住)(?:在|着)",
        3,
    ),
    (
        en(
            r"rent(?:s|ed|ing)? (?:\w+ )?out (?:to|as) [^.!?\n]{0,20}(?:people|workers|tenants|families|bedrooms?|rooms?|dorms?)|"
            r"sublet|subdivided|split (?:up )?into [^.!?\n]{0,12}rooms|bunk ?beds?|mattress(?:es)?|dorm(?:itory|itories|s)?|"
            r"group rentals?|(?:people|workers|families|tenants|staff) (?:live|living|sleep|sleeping|stay|staying) (?:in|on|above|inside)"
        ),
        3,
    ),
]
CATEGORY_TERMS[C.EXIT_BLOCKED] += [
    (
        r"防火门.{0,4}(?:拆|没了|不见)|(?:后门|侧门|单元门|出口|楼梯门).{0,4}(?:焊死|锁死|封死|钉死)",
        3,
    ),
]
CATEGORY_TERMS[C.OTHER] += [
    (en(r"exhaust ducts?|grease|smoke vents? (?:are |is )?(?:sealed|blocked)"), 3)
]

CATEGORY_COMBOS: list[tuple[Category, str, int]] = [
    (
        C.FIRE_LANE,
        near(
            r"消防车(?:通)?道|生命通道|消防通道|消防道|" + en(r"fire (?:lane|access|road|route)s?"),
            BLOCKED + r"|车|路障|石墩|地锁|围挡|栏杆|桩|" + en(r"cars?|trucks?|vans?"),
            14,
        ),
        2,
    ),
    (
        C.EXIT_BLOCKED,
        near(
            r"安全出口|疏散(?!指示)|逃生|应急出口|紧急出口|消防楼梯|楼梯|楼道|走廊|过道|通道|后门|出口|天台",
            BLOCKED,
            14,
        ),
        3,
    ),
    (
        C.EXIT_BLOCKED,
        near(r"(?:防火|消防)门", r"顶|撑|开着|拆|锁|堵|挡|卡|坏|关不上|闭门器", 10),
        2,
    ),
    (
        C.EXIT_BLOCKED,
        near(
            en(
                r"exits?|stairs|stairwells?|staircases?|corridors?|hallways?|fire doors?|escape|doors?"
            ),
            BLOCKED,
            14,
        ),
        3,
    ),
    (C.EBIKE, near(EBIKES, EBIKE_TROUBLE, 16), 3),
    (C.ELECTRICAL, near(WIRES, WIRE_TROUBLE, 16), 3),
    (
        C.ELECTRICAL,
        r"插排.{0,4}(?:串|接)|串了.{0,4}(?:插排|插座)|(?:一个|个)插(?:座|排)(?:上)?插了",
        3,
    ),
    (C.FIRE_EQUIPMENT, near(EQUIPMENT, BROKEN, 16), 3),
    # "Does anyone check the extinguishers? The tags say 2019": the state may come a sentence later.
    (C.FIRE_EQUIPMENT, both(EQUIPMENT, EXPIRED), 1),
    # A box left open: "配电箱的门没了", "接线盒一直开着".
    (
        C.ELECTRICAL,
        near(
            r"配电(?:箱|柜)|电表箱|电箱|接线盒|开关箱|电闸|"
            + en(r"fuse ?box|junction box|meter box"),
            r"开着|敞着|敞开|没门|门没了|门掉|没盖|盖子|没锁|" + en(r"open|no (?:door|lid|cover)"),
            10,
        ),
        3,
    ),
    (C.FLAMMABLES, near(FUELS, STORED, 12), 2),
    (
        C.OPEN_FLAME,
        near(
            r"焊(?!死|住)|气割|" + en(r"weld(?:ing|er|ers|s)?"),
            r"火花|火星|泡沫|没人看|旁边|下面|"
            + en(r"sparks|without|no (?:fire|extinguisher)|nearby"),
            12,
        ),
        2,
    ),
    (
        C.OPEN_FLAME,
        near(r"香|蜡烛|明火|火", r"旁边|挨着|布|窗帘|纸|木|上面|床边|床头|被子|蚊帐|沙发", 10),
        2,
    ),
    (
        C.OPEN_FLAME,
        both(FLAME_AT_WORK, FUELS + r"|加油站|加油机|油罐|" + en(r"gas tanks?|gas station|fuel")),
        3,
    ),
    (
        C.OPEN_FLAME,
        near(
            en(r"smok(?:e|es|ing)(?! (?:alarm|detector|sensor)s?)|cigarettes?"),
            en(
                r"stairwells?|stairs|lifts?|elevators?|corridors?|hallways?|no smoking|sign|banned|warehouse|garage|hospital|in there|everywhere"
            ),
            14,
        ),
        2,
    ),
    (C.OCCUPANCY, near(r"地下室|车库|仓库|店里|厂房|车间|作坊", r"住|睡|宿舍|床", 10), 3),
    (
        C.OCCUPANCY,
        near(
            en(r"basement|warehouse|shop|factory|workshop|garage"),
            en(r"sleep(?:s|ing)?|liv(?:e|es|ing)|dorms?|beds?"),
            10,
        ),
        3,
    ),
    # Combustibles in bulk: "废品站的纸板泡沫堆得跟山一样高", "充电桩旁边堆了一堆纸箱".
    (
        C.FLAMMABLES,
        near(COMBUSTIBLES, r"堆|囤|山|摞|" + en(r"piled?|stacked|heaps?|mountains?"), 12),
        3,
    ),
    (
        C.OTHER,
        near(
            en(r"paper|fabric|cloth|foam|decorations?"),
            en(r"hot|lights?|lamps?|heaters?|spotlights?|candles?"),
            14,
        ),
        2,
    ),
]

# Ties go to the category named first: the more specific story wins.
CATEGORY_PRECEDENCE = [
    C.EBIKE,
    C.FIRE_LANE,
    C.OCCUPANCY,
    C.FIRE_EQUIPMENT,
    C.OPEN_FLAME,
    C.FLAMMABLES,
    C.EXIT_BLOCKED,
    C.ELECTRICAL,
    C.OTHER,
]

# ---------------------------------------------------------------- severity
S = Severity
CROWD = (
    r"几十|几百|上百|一百多|二三十|二十多|三十多|好几十|很多人|人(?:特别|超级|非常|很)?多|人满|满满的人|小孩|孩子|幼儿园|"
    r"老人|养老院|医院|学校|周末|"
    r"营业|饭点|吃饭的时候|里面(?:还|都)?有(?:人|工人)|有人在里面|加班|上班"
)
CROWD_EN = en(
    r"cinemas?|theat(?:re|er)s?|shows?|karaoke|ktv|night ?clubs?|bars?|malls?|supermarkets?|gyms?|dorms?|"
    r"packed|crowded|dozens|hundreds|\d{2,} people|people (?:are |still )?(?:inside|working)|kids|children|elderly|class|cleaners|"
    r"daycare|kindergarten|nursery|school|hospital|nursing home|dinner|lunch|opening hours|business hours|"
    r"customers|guests|work late|working late"
)
# The only way out: blocking it can trap everyone behind it.
SLEEPERS = r"睡觉|在睡|睡着|住满|住着|客人|住客|宿舍"
ONLY_WAY_OUT = (
    r"只有(?:这|那)?(?:一|1)(?:个|条|部|道|座)(?:出口|楼梯|门|通道|楼道)|唯一(?:的)?.{0,4}(?:出口|通道|楼梯)|"
    + en(r"only (?:one|1) (?:stair|staircase|stairway|exit|way)s?|only way out|only exit")
)
HEAT = (
    r"灶|炉|火|加热|取暖器|电暖|暖气片|热水器|做饭|炒菜|暴晒|太阳底下|太阳下|晒太阳|抽烟|吸烟|烟头"
)
HEAT_EN = en(
    r"stove|heater|flame|fire|cooker|grill|oven|burner|kitchen|smok(?:e|es|ing)|cigarettes?"
)

# (category or None for any, pattern, severity). Urgent rules beat normal ones; unmatched
# hazards take BASE_SEVERITY of their category.
SEVERITY_RULES: list[tuple[Category | None, str, Severity]] = [
    (C.EXIT_BLOCKED, both(r"锁|铁链|链条|焊死|封死|推不开", CROWD), S.URGENT),
    # A way out shut while people sleep or stay inside (a dormitory, a guesthouse full of guests).
    (C.EXIT_BLOCKED, both(r"锁|铁链|链条|焊死|封死|推不开|拴死|铁丝", SLEEPERS), S.URGENT),
    (C.EXIT_BLOCKED, both(en(r"lock(?:s|ed)?|chain(?:s|ed)?|padlock(?:ed)?"), CROWD_EN), S.URGENT),
    (
        C.EXIT_BLOCKED,
        r"(?:ktv|网吧|酒吧|商场|超市|影院|电影院|歌厅|夜总会|健身房).{0,20}(?:锁|铁链|打不开)",
        S.URGENT,
    ),
    (
        C.EXIT_BLOCKED,
        r"(?:锁|铁链).{0,20}(?:ktv|网吧|酒吧|商场|超市|影院|电影院|歌厅|夜总会|健身房)",
        S.URGENT,
    ),
    (C.EXIT_BLOCKED, ONLY_WAY_OUT, S.URGENT),
    (C.EXIT_BLOCKED, near(r"(?:防火|消防)门", r"顶|撑|开着|卡|关不上|闭门器", 10), S.NORMAL),
    (C.EXIT_BLOCKED, en(r"propped open|wedged open"), S.NORMAL),
    (C.EXIT_BLOCKED, r"鞋柜|婴儿车|绊倒", S.NORMAL),
    (C.EBIKE, near(r"十几|二十|三十|几十|一排|一堆", r"充", 20), S.URGENT),
    (C.EBIKE, both(ONLY_WAY_OUT, CROWD + "|" + CROWD_EN), S.URGENT),
    (C.EBIKE, near(r"充", r"纸箱|杂物|易燃", 12), S.URGENT),
    (C.EBIKE, r"冒(?:过)?(?:一次)?烟|起火|着过火|鼓包|发烫|烧过|爆过", S.URGENT),
    (C.EBIKE, en(r"smok(?:ed|ing)|caught fire|swollen|exploded|too hot"), S.URGENT),
    (
        C.EBIKE,
        both(r"(?<![\d.])(?:1\d|[2-9]\d)(?![\d.])|dozens?", en(r"charg(?:e|es|ed|ing)")),
        S.URGENT,
    ),
    (C.EBIKE, r"没(?:在|有)?充|不充|只是停|就停", S.NORMAL),
    (C.EBIKE, en(r"nobody charges|not charging|just parked|only parked"), S.NORMAL),
    (
        C.EBIKE,
        r"^(?!.*(?:充(?!电棚|电桩)|插着电|飞线|推进|带回家|拎回家|上楼|十几|几十|二十)).*(?:停|放|挡)",
        S.NORMAL,
    ),
    (
        C.EBIKE,
        r"^(?!.*(?:charg|plug|flying|bedroom|flat|inside|indoors|lift|elevator|\d{2,}|dozens|only exit)).*(?:park|left)",
        S.NORMAL,
    ),
    (C.ELECTRICAL, r"烫手|烧黑|烧焦|变色|火花|冒火|融化|熔化|化了|焦了|滴水|进水|泡水", S.URGENT),
    (
        C.ELECTRICAL,
        en(
            r"melt(?:ed|ing)?|scorch(?:ed)?|burn marks?|burnt|charred|sparks?|sparking|smok(?:ing|ed)|wet|water dripping"
        ),
        S.URGENT,
    ),
    # Bare live conductors within reach: more serious than a loose cover.
    (C.ELECTRICAL, r"露(?!台|天)|裸露|铜丝|" + en(r"exposed|bare (?:wires?|copper)"), S.HIGH),
    (C.ELECTRICAL, r"包着|面板掉|盖子|没盖|松了", S.NORMAL),
    (C.ELECTRICAL, en(r"no cover|cover (?:is )?missing|loose"), S.NORMAL),
    (
        C.FIRE_EQUIPMENT,
        r"(?:消(?:防|火)栓|水带).{0,12}(?:堆|挡|堵|打不开|偷|没水|坏|碎|不见|丢|围|圈|焊|锁)|(?:堆|挡|堵|停).{0,12}消(?:防|火)栓",
        S.HIGH,
    ),
    # Equipment locked away, sealed or switched off is out of reach when it is needed.
    (
        C.FIRE_EQUIPMENT,
        r"(?:灭火器|消(?:防|火)栓|水带|消防箱|报警|烟感|喷淋|喷头).{0,12}"
        r"(?:锁着|锁在|拿不到|打不开|焊死|焊住|圈起|围起|关掉|关了|停用|拆|包起|罩)",
        S.HIGH,
    ),
    (
        C.FIRE_EQUIPMENT,
        r"喷淋|喷头|不响|没水|水泵|卷帘|报警.{0,6}(?:坏|故障)|应急(?:灯|照明).{0,10}(?:坏|不亮)|(?:幼儿园|养老院|医院|学校|商场|影院).{0,14}(?:应急|灯|不亮)",
        S.HIGH,
    ),
    (
        C.FIRE_EQUIPMENT,
        en(
            r"sprinklers?|removed|stolen|fault|doesn'?t (?:ring|sound)|no water|cinema|hospital|school|nursing home|"
            r"hydrants?[^.!?]{0,30}(?:fenced|blocked|welded|locked|covered|buried|parked)"
        ),
        S.HIGH,
    ),
    (
        C.FLAMMABLES,
        near(r"气罐|液化气|煤气|汽油|酒精|油漆|丙酮|烟花|鞭炮|爆竹", HEAT, 12),
        S.URGENT,
    ),
    (
        C.FLAMMABLES,
        near(
            en(
                r"lpg|gas cylinders?|gas tanks?|petrol|gasoline|acetone|alcohol|solvents?|thinner|paint"
            ),
            HEAT_EN,
            14,
        ),
        S.URGENT,
    ),
    (C.FLAMMABLES, r"地下.{0,10}(?:液化气|煤气|气罐)", S.URGENT),
    (C.OPEN_FLAME, r"加油站|加油机|油罐|气罐|液化气|煤气罐|泡沫|易燃", S.URGENT),
    (C.OPEN_FLAME, near(r"蜡烛|明火", r"纸箱|纸|窗帘|布|木|泡沫", 10), S.URGENT),
    (
        C.OPEN_FLAME,
        near(
            r"火星|火花|" + en(r"sparks"),
            r"泡沫|纸箱|电动车|电瓶车|易燃|木|布|草|雨棚|遮阳棚|篷布|塑料|"
            + en(
                r"foam|cardboard|bikes|scooters|awnings?|canopy|tarps?|wood(?:en)?|plastic|boxes|sawdust|"
                r"cotton|fabric|curtains?"
            ),
            24,
        ),
        S.URGENT,
    ),
    (C.OPEN_FLAME, en(r"gas station|petrol station|fuel|gas tanks?|gas cylinders?|foam"), S.URGENT),
    # Smoking or a flame where the stock burns: "仓库里有人抽烟 里面全是棉花".
    (
        C.OPEN_FLAME,
        near(
            r"抽烟|吸烟|烟头|明火|柴火|炭火|煤炉|炭炉|蜡烛|点火|烧|"
            + en(r"smok(?:e|es|ing)|cigarettes?|candles?|flames?|burn(?:s|ing)?"),
            r"(?:全是|满是|堆满|到处是|都是|里面是)(?:了)?.{0,3}(?:棉|纸箱|纸板|木屑|刨花|布料|稻草|干草|木头|木板|泡沫)|"
            + en(
                r"(?:full of|packed with|filled with|stacked with) "
                r"(?:cotton|cardboard|sawdust|straw|hay|timber|fabric|textiles?|foam)"
            ),
            14,
        ),
        S.URGENT,
    ),
    (
        C.OPEN_FLAME,
        r"烧纸|纸钱|火星|焊(?!死|住)|篝火|孔明灯|柴火|香炉|点火|烧垃圾|防尘网|烧炭|炭火|煤炉|取暖",
        S.HIGH,
    ),
    (
        C.OPEN_FLAME,
        en(
            r"bonfires?|weld(?:ing|er|ers|s)?|sky lanterns?|sparks|burns? trash|burning trash|offerings|"
            r"burn(?:s|ing|ed)? (?:plastic|tyres|tires)"
        ),
        S.HIGH,
    ),
    (
        C.OCCUPANCY,
        r"只有一个(?:出口|门|楼梯)|(?:出口|楼梯|门)只有一个|一个出口|没有窗|没窗|唯一.{0,4}(?:出口|通道)|"
        r"窗户?.{0,4}封|封死|防盗窗",
        S.URGENT,
    ),
    (
        C.OCCUPANCY,
        en(r"only (?:one|1) (?:stair|exit|way)|only way out|no windows?|barred windows|bars on"),
        S.URGENT,
    ),
    (C.OCCUPANCY, r"^(?!.*(?:十|几十|二十|三十|人)).*(?:隔成|隔断)", S.NORMAL),
    (C.OTHER, r"ktv|歌厅|酒吧|网吧|工厂|厂房|油烟机|烟道|积油", S.HIGH),
    (C.OTHER, en(r"grease|cladding|factory"), S.HIGH),
    # Combustible fit-outs where the public gathers.
    (
        C.OTHER,
        both(
            r"幼儿园|学校|医院|养老院|商场|游乐场|店",
            r"装修|天花板|吊顶|墙|软包|隔断|隔墙",
        ),
        S.HIGH,
    ),
    (
        C.OTHER,
        both(
            en(r"kindergarten|nursery|daycare|school|hospital|nursing home|mall|shop|cafe"),
            en(r"ceilings?|walls?|partitions?|fit-?out|renovat\w*|linings?"),
        ),
        S.HIGH,
    ),
]
BASE_SEVERITY: dict[Category, Severity] = {
    C.FIRE_LANE: S.HIGH,
    C.EXIT_BLOCKED: S.HIGH,
    C.EBIKE: S.HIGH,
    C.ELECTRICAL: S.HIGH,
    C.FIRE_EQUIPMENT: S.NORMAL,
    C.FLAMMABLES: S.HIGH,
    C.OPEN_FLAME: S.NORMAL,
    C.OCCUPANCY: S.HIGH,
    C.OTHER: S.NORMAL,
}

# ---------------------------------------------------------------- questions, reports
QUESTION_FORM = [
    r"[?？]",
    r"吗|么(?=[\s，。,.!！]|$)|呢(?=[\s，。,.!！?？]|$)",
    r"怎么|怎样|如何|为什么|为啥|什么|啥|咋|干嘛|哪|谁|多久|多长|多少|几(?:点|天|年|次|个月|分钟)",
    r"是否|能否|可否|可不可以|能不能|会不会|要不要|有没有|算不算|是不是|行不行|需不需要|用不用",
    r"请问|咨询|想问|问一下|问下|了解一下|想了解",
    r"还是[^，,。]{1,8}[?？]|(?:应该|该|要|是)[^，,。]{1,8}还是",
    en(
        r"^(?:what|how|where|when|why|who|which|is|are|can|could|should|do|does|did|will|would|may|any)"
    ),
    en(r"i (?:want|would like|'d like) to know|wondering|tell me|right\?"),
]
# Someone ordering their own affairs, not reporting others.
SELF_DIRECTED = [
    r"我(?:可以|能|想|应该|要|需要|该)",
    r"自己(?:买|家|的)",
    en(
        r"can i|should i|do i need|may i|my own|i bought|for my (?:restaurant|shop|store|home|flat)"
    ),
]
# Signs of a real, specific, ongoing situation somewhere.
# A thing's state asked back about ("灭火器箱里只剩空瓶子吗"): perhaps someone looked at it,
# perhaps a quiz; not "过期了还能用吗" (a how-to about their own). The resident is asked.
ASKED_STATE = [r"(?:空瓶子?|空罐子?|是空的|没水了|不亮了|被(?:人)?拆了|被偷了)吗"]
REPORT_ANCHOR = [
    r"天天|每天|每晚|一直|经常|老是|总是|好几天|好久|半个?月|[两几三四五六\d]+个月|半年|一年了|常年|好几年",
    # "群租房怎么举报" asks how to report; "我要举报" reports.
    r"跟你们说|(?<!怎么)(?<!怎样)(?<!如何)(?<!去哪)(?<!在哪)(?<!哪里)(?:反映|举报|投诉)|发现",
    r"有人|有户|有个|有家|有几|大家|那家|这家|他家|邻居|隔壁|楼下|楼上|对门|对面",
    r"我们(?:楼|小区|单元|这栋|这|那条|那|公司|单位|村|街)",
    r"\d+\s*(?:号楼|栋|幢|单元|层|楼|号)|[一二三四五六七八九十]+(?:号楼|栋|单元)",
    # A named floor or a particular public building: "商场二楼的疏散楼梯为什么…".
    r"[一二三四五六七八九十两]+(?:楼|层)(?![道梯房下上])|(?<![a-z])b[1-4](?![0-9])|负[一二三](?:楼|层)|地下[一二三]层",
    r"商场|超市|医院|酒店|宾馆|网吧|酒吧|ktv|写字楼|菜市场|食堂|影院|电影院|幼儿园|养老院",
    r"物业|房东|老板|商铺|店家|饭店|餐馆|工地|好几家|好几间|几家",
    # Rhetorical questions and pleas of someone reporting (from the corpus's train split):
    # "出了事谁负责", "谁来管管啊", "说了好几次没用", "楼道的烟感被人拆了".
    r"谁(?:来)?管|谁负责|没人管|(?<!怎么)不管|有人管吗|说了好几次|求处理|请.{0,4}处理|派人|来看看|太危险",
    r"被[^，,。?？!！\s]{1,12}了|看到的|今天|昨天|上周|刚才",
    # "…，这算不算消防隐患？": asking about the thing just described (issue 13's known gap).
    r"这(?:个|种情况|样|种)?(?:算不算|算|是不是|属不属于)(?:消防)?隐患|这(?:样|个)?(?:合规|违规|合法|不违规)吗",
    en(r"nobody (?:cares|came|does)|please check|look at it|against the rules|even legal"),
    en(
        r"every (?:day|night|weekend|week|evening)|always|all the time|for (?:\d+|a few|two|three|several) (?:days|weeks|months)"
    ),
    en(
        r"my neighbou?r|neighbou?rs|someone|some guy|some people|people (?:keep|park|charge|smoke|are)|they (?:do|keep|lock|park|put)"
    ),
    en(
        r"there (?:is|are)|there'?s|in my building|our building|building \d+|block \w|\d+f|floor \d+|landlord"
    ),
    en(
        r"the (?:bar|shop|restaurant|warehouse|mall|gym|hotel|ktv|market|club|factory|office)|"
        r"keeps|keeping|(?<!to )(?<!i )(?<!we )keep"
    ),
    en(
        r"often|usually|in my (?:office|building|workplace|school|block)|my office|we (?:often|always|usually)|the tags?"
    ),
]

# ---------------------------------------------------------------- topics
FIRE_TOPIC = [
    r"消防|火|烟|灭火|逃生|疏散|119|报警|燃气|煤气|液化气|电动车|电瓶|电池|充电|插座|插排|电线|隐患|易燃|演练|演习",
    # Escape routes and heating appliances are fire-safety topics when asked about.
    r"楼道|楼梯间|走廊|过道|电热毯|电暖器|取暖器|小太阳|暖风机|热水壶|充电宝|鞭炮|烧纸",
    prefix(
        r"fire|smok|extinguish|alarm|sprinkler|hydrant|evacuat|escape|burn|flame|gas\b|e-?bike|scooter|batter|charg|119|hazard|wiring|socket|lithium|flammab|"
        r"electric blanket|heater|power bank|candle|stairwell|corridor"
    ),
]
SERVICE_TOPIC = [
    r"你们|平台|机器人|网格员|工作人员|上报|举报|报的|报了|反馈|回访|回复|处理|受理|官方|个人信息|隐私",
    prefix(
        r"you guys|your\b|bot\b|grid worker|report|hazard|here\b|staff|repl|respon|service|this (?:app|chat|platform)"
    ),
]

# ---------------------------------------------------------------- feedback
FEEDBACK_SENTIMENT = [
    # Thanks after a question mark closes the question ("怎么举报？谢谢"), it judges nothing.
    r"(?<![?？])(?<![?？] )(?:谢谢|感谢|多谢)|点赞|👍|赞|辛苦了|不错|挺好|很好|真好|好评|满意|方便|给力|"
    r"及时|很快|效率(?:挺|很|真)?高|聪明|好用|厉害|专业|贴心|太好了|真棒|很棒|学到|表扬|很负责|顺手",
    r"太慢|麻烦|繁琐|不方便|太复杂|效率.{0,4}低|没人回|没人理|没人联系|不好用|难用|烦|敷衍|态度|根本没|别再?打|差评|不满意|投诉你们|字太小|看不清",
    r"建议|希望|最好能|(?:能不能|可不可以|可以|应该).{0,8}加|多搞|多办|以后多(?:搞|办|来|组织)",
    r"没解决|没有解决|不解决|就会|光说|形式主义|踢皮球|很清楚|很详细|石沉大海|没下文|没动静|没消息|到底管不管|打扰|骚扰",
    en(
        r"thanks?|thank you|great|good job|well done|awesome|love|helpful|quick|fast|appreciate|impressive|"
        r"amazing|excellent|brilliant|nice work"
    ),
    en(
        r"slow|annoying|rude|useless|confusing|misunderstand\w*|doesn'?t understand|don'?t understand|nobody (?:replied|answered|came)|no one (?:replied|answered|came)|terrible|bad service|frustrat|"
        r"disappoint(?:ed|ing)?|nothing (?:has )?happened|ignored|nothing (?:was|has been) fixed|says resolved"
    ),
    en(r"suggest(?:ion)?|would be nice|please add|it would help|wish|could you add|feature"),
]
FEEDBACK_SERVICE = [
    r"你们|平台|机器人|小助手|助手|网格员|工作人员|小程序|系统|上报|举报|报的|报了|回访|回复|回执|处理得|处理了|消防宣传|宣传|培训|"
    r"活动|讲座|小册子|来得|上门|安排(?:人|专人|人手)|菜单|按钮|功能|进度|界面|演练|演习|报隐患|填地址|重新填|流程|服务",
    prefix(
        r"you guys|your (?:team|staff|service|worker|grid|bot|app)|the bot|this bot|bot\b|grid worker|service|"
        r"repl|respon|report|upload|the guy|inspect|team\b|app\b|menu|button|feature|drill"
    ),
]
# The hazard is gone: what follows is a verdict on the service, not a report.
RESOLVED_HAZARD = [
    r"终于(?:通|好|清|修|搬|挪|开|拆|换|不堵|不占|整改|处理|弄|搞)|(?:疏通|畅通|打通)了|"
    r"(?:挪|清|搬|拖|移|拆)(?:走|掉)了|清理(?:干净)?了|(?:修|建|装|弄|搞|配)好了|换(?:新的?|好)了|"
    r"已经(?:处理|整改|清|换|修|搬|挪)|整改(?:好|完)了|处理好了",
    en(
        r"(?:you(?: guys| all)?|they|someone|the (?:grid )?workers?) (?:fixed|cleared|removed|unblocked|unlocked|moved)|"
        r"(?:is|are) (?:clear|cleared|fixed|gone) now|(?:has|have) been (?:fixed|cleared|removed)|got (?:fixed|cleared)|fixed it|cleared it"
    ),
]

# The resident talks about how the bot read their words: feedback even if hazard words appear.
META_TALK = [
    r"我(?:说的是|明明说|发的是|问的是)|没听懂|听不懂|看不懂我|理解错|识别错|答非所问",
    en(
        r"(?:bot|it|you) (?:keeps? )?(?:misunderstand\w*|misread\w*|doesn'?t understand|don'?t understand)|"
        r"i (?:said|typed|wrote|meant)"
    ),
]

# The resident refers to something they already reported: a verdict on how we handled it.
EARLIER_REPORT = [
    r"(?:之前|上次|上周|昨天|前几天|已经)报(?:的|过)|报了.{0,4}(?:天|周|次)|反映过|举报过|投诉过",
    en(r"(?:i |we |already )?reported|my report"),
]
# Statements (not questions) that still belong to the FAQ.
SAFETY_TOPIC = [
    r"消防|灭火|逃生|隐患|火灾|119|安全知识|防火",
    en(r"fire safety|extinguisher|smoke alarm|evacuat|hazard|fire drill"),
]

# ---------------------------------------------------------------- out of scope
OUT_OF_SCOPE_TERMS: list[tuple[str, int]] = [
    (r"噪音|噪声|扰民|吵|跺脚|广场舞|音响", 3),
    # A gas water heater is a fire-safety matter ("燃气热水器可以装在卫生间吗"); a broken one is not.
    (r"漏水|渗水|水管|停水|没热水|(?<!燃气)(?<!煤气)热水器|下水道|堵了马桶|马桶", 3),
    # Notices passed on, a drill's among them (from the corpus's train split).
    (r"通知[:：]|通知收到|收到通知|听到警报不要", 3),
    (r"物业费|停车费|燃气费|水费|电费|缴费|交费|押金|房租|租金|涨价|开户", 3),
    (r"遛狗|狗|猫|宠物|老鼠|蟑螂", 3),
    (r"快递柜|快递(?!驿站|站|点)", 2),
    (r"电梯(?:又)?坏|路灯|井盖|坑|绿化|种菜|垃圾桶|垃圾分类|臭|异味", 2),
    (r"油烟(?!机|管道)|烟熏火燎|烤鱼|好吃|难吃|餐厅|饭馆推荐", 3),
    (r"宽带|网络|信号|wifi|骗|打架|吵架|户口|社保|医保|疫苗|核酸", 3),
    (r"快递(?:总是|又|老是)?被偷", 3),
    # Stolen property is for the police, even when it is an e-bike.
    (
        r"(?:车|车子|电瓶|电池|手机|钱包|快递)(?:又|也)?(?:被(?:人)?(?:偷|盗)|丢了|偷走|让人偷)|小偷",
        6,
    ),
    (
        en(
            r"(?:bikes?|scooters?|batter(?:y|ies)|cars?|phones?|wallets?) (?:was |were |got |has been )?stolen"
        ),
        6,
    ),
    (en(r"noise|noisy|loud|music|barks?|barking|dogs?|cats?|pets?|rats?|cockroach(?:es)?"), 3),
    (en(r"leak(?:s|ing|y)?|roof|pipes?|plumbing|toilet|hot water"), 2),
    (en(r"bills?|pay|fees?|rent|deposit|parking fee|price"), 3),
    (
        en(
            r"wi-?fi|internet|packages?|parcels?|pothole|street ?lights?|trash collection|garbage collection"
        ),
        3,
    ),
    (en(r"fired|restaurant near|good .{0,12} near|recommend|dance|festival|parade|concert"), 2),
    (en(r"elevator (?:is )?(?:broken|down|out)|lift (?:is )?(?:broken|down|out)"), 3),
]
