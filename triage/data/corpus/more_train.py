"""Third round of wordings, written after the held-out split was fixed: every core here goes
to train only (generate.py), so holdout.jsonl stays the messages it was. Written from the
train split's out-of-fold misses and the issue's known gaps (feedback told plainly, hazards
asked as questions about a real thing, gas in any wording, fiery questions that are quizzes,
severity told by its cues), never from held-out messages.
"""

U, H, N = "urgent", "high", "normal"

HAZARD_ZH: dict[str, list[tuple[str, str]]] = {
    "fire_lane": [
        (H, "消防车道口被一排共享电动车挡住了"),
        (H, "有人在消防通道上摆摊卖水果，一摆一整天"),
        (H, "消防登高面那块地方被物业装了健身器材"),
        (H, "小区后门消防车道被一辆没牌照的车占了一个多月"),
        (H, "消防车道中间被放了两个大花盆"),
        (H, "生命通道口的道闸坏了，一直落着杆"),
    ],
    "exit_blocked": [
        (U, "电影院的安全出口用铁链锁着，今晚场场满座"),
        (U, "幼儿园的后门逃生通道被锁了，孩子们都在午睡"),
        (U, "养老院的楼梯门被锁死了，老人都住在二楼以上"),
        (H, "楼梯口被住户用木板隔出了一个小房间"),
        (H, "走廊里堆满了旧床垫和柜子，只剩一条缝"),
        (H, "消防楼梯里放了好几辆婴儿车和自行车"),
        (N, "常闭防火门被挂钩钩住了，一直关不上"),
        (N, "防火门的玻璃碎了一块"),
        (H, "安全出口的门被物业用锁锁上了，说是防盗"),
    ],
    "ebike": [
        (U, "邻居每天晚上把电瓶车推进屋里充电，一充就是一整夜"),
        (U, "楼道里电动车电池在充电，发烫得厉害，旁边还堆着纸箱"),
        (U, "电动车放在楼梯口充了一晚上，充电器都烫手"),
        (H, "单元门厅里停了七八辆电瓶车，把路都挡了"),
        (H, "有人把电动车电池带回家放在客厅充电"),
        (H, "电动车停在电梯口，大家进出都要绕"),
        (N, "有一辆电动车停在一楼楼梯下面"),
        (H, "飞线充电，插线板从二楼窗户吊下来挂在半空"),
        (U, "电瓶车在出租屋里充电，电池鼓起来了还在用"),
    ],
    "electrical": [
        (U, "插座一直在发烫，还有一股烧塑料的味道，房东说没事"),
        (U, "电表箱里滋滋响，还闪火花，已经好几天了"),
        (H, "出租屋的电线都是明线，直接钉在木板墙上"),
        (H, "楼道里的电线接头用胶布缠着，外面没有管子"),
        (H, "饭店后厨一个插座上插了五六个电器"),
        (N, "楼道开关盒的盖子掉了"),
        (H, "小区变压器旁边的电线垂得很低，都快碰到车了"),
        (U, "电闸一开就跳，闸盒里面都黑了"),
    ],
    "fire_equipment": [
        (N, "楼道灭火器上的检查卡已经两年没人签了"),
        (N, "安全出口的绿灯不亮了"),
        (N, "我们这层的烟感被装修的人拆下来了"),
        (H, "消防栓箱里什么都没有，水带水枪都被拿走了"),
        (H, "整个商场的喷淋头都被吊顶挡住了"),
        (N, "灭火器的压力表指针已经到零了"),
        (H, "小区的消防水池干了好久，没人管"),
        (N, "楼道里的应急照明一到晚上就不亮"),
    ],
    "flammables": [
        (U, "烧烤店把液化气罐放在炭炉旁边，离得不到一米"),
        (U, "楼下小店在店里囤了十几罐液化气，老板还在里面抽烟"),
        (H, "邻居在楼道里放了好几桶油漆和天那水"),
        (H, "车库里有人囤了一大堆汽油桶"),
        (H, "小卖部后面堆满了烟花爆竹，过年卖剩下的"),
        (N, "楼道拐角放着一个用完的小煤气罐"),
        (H, "装修工人把油漆桶堆在楼道口"),
    ],
    "open_flame": [
        (N, "每天晚上都有人在楼道里抽烟"),
        (N, "楼下路口天天有人烧纸"),
        (U, "有人在仓库门口电焊，火星直接溅到纸箱上"),
        (U, "有人在草坪上烧垃圾，风一吹火星子乱飞，旁边就是车棚"),
        (H, "饭店门口天天用炭炉烤东西，火星往楼上飘"),
        (H, "工地上有人在木板堆旁边点火烧东西"),
        (U, "楼道里有人点香拜佛，香就插在纸箱上面"),
        (N, "小区凉亭里经常有人抽烟"),
    ],
    "occupancy": [
        (U, "服装厂的工人晚上就睡在车间里，布料堆到天花板"),
        (U, "一间地下室住了二十几个人，只有一个出口"),
        (H, "楼下小超市的员工晚上睡在店里"),
        (H, "隔壁五金店楼上住着老板一家，楼下全是货"),
        (H, "快餐店的阁楼上住了三四个员工"),
        (H, "小作坊前面是店面后面住人"),
        (U, "群租房里住了三十来个人，窗户都焊死了"),
    ],
    "other": [
        (H, "楼顶加盖了一层彩钢板房，里面还住人"),
        (N, "小区好久没做消防检查了"),
        (H, "商场装修用了很多易燃的布和泡沫做装饰"),
        (N, "楼道的排烟窗被封死了"),
        (H, "饭店的油烟管道积了厚厚的油垢，从来不清洗"),
        (N, "消防控制室里没人，门也锁着"),
    ],
}
HAZARD_EN: dict[str, list[tuple[str, str]]] = {
    "fire_lane": [
        (H, "vans park across the fire lane every morning"),
        (H, "the fire access road is blocked by a row of flower pots"),
    ],
    "exit_blocked": [
        (U, "the cinema's fire exit is padlocked and tonight's show is sold out"),
        (H, "the stairwell door is locked, you can only use the lift"),
        (N, "the fire door on our floor is wedged open with a chair"),
    ],
    "ebike": [
        (U, "a neighbour charges his scooter battery overnight in the corridor, it gets very hot"),
        (H, "e-bikes are parked all along the corridor"),
        (N, "one e-scooter is parked under the stairs"),
    ],
    "electrical": [
        (U, "the socket in the hallway smells of burning plastic and is hot to touch"),
        (H, "wiring in the flat is just taped together behind the fridge"),
    ],
    "fire_equipment": [
        (N, "the exit sign on the 3rd floor is not lit"),
        (H, "the hydrant box is empty, hose and nozzle gone"),
    ],
    "flammables": [
        (U, "the barbecue stall keeps its gas cylinder right next to the charcoal grill"),
        (H, "someone keeps drums of diesel in the car park"),
    ],
    "open_flame": [
        (N, "people keep smoking in the stairwell"),
        (U, "workers are cutting steel and sparks are landing on foam boards"),
    ],
    "occupancy": [
        (H, "staff of the shop downstairs live in the back room"),
        (U, "workers sleep in the garment workshop among piles of fabric"),
    ],
    "other": [
        (H, "a rooftop shack made of steel sheets has people living in it"),
        (N, "nobody has done a fire inspection in our compound for a year"),
    ],
}
# Pleas only train is dressed in: questions about a concrete thing still report it.
PLEAS_ZH = [
    "，这个算隐患吗？",
    "，这种情况能不能处理？",
    "，这合规吗？",
    "，你们能管吗？",
    "，这不危险吗？",
    "，能不能派人看看？",
    "，这是不是违规的？",
]
PLEAS_EN = [". is this a fire hazard?", ". is this allowed?", ". can you do something?"]

EMERGENCY_ZH: list[tuple[str | None, str]] = [
    (None, "家里煤气味特别重，我不敢开灯"),
    (None, "厨房里一股天然气的臭味，越来越浓"),
    ("flammables", "液化气罐的阀门那里一直在漏气，嘶嘶的"),
    (None, "燃气表那边呲呲响，有股怪味"),
    (None, "楼道里全是煤气味，不知道谁家漏了"),
    (None, "煤气管道破了，气往外冒"),
    ("flammables", "煤气罐胶管裂了，一闻全是味"),
    (None, "燃气灶关了还有味，好像漏气了"),
    (None, "对面楼窗户里冒火了，烟很大"),
    (None, "楼下那家起火了，火苗都窜到我家窗口了"),
    (None, "电梯里冒烟，有人在里面"),
    ("ebike", "电动车在家里充电着火了"),
    (None, "我闻到很浓的烧焦味，屋里开始有烟"),
    ("electrical", "插线板烧起来了，冒黑烟"),
    (None, "厨房着火了，火很大，灭不掉"),
]
EMERGENCY_EN: list[tuple[str | None, str]] = [
    (None, "the whole flat smells of gas, the cooker is off"),
    ("flammables", "the gas bottle valve is leaking, hissing sound"),
    (None, "there's smoke coming under my door from the corridor"),
]
QUESTION_ZH = [
    "如果被困在火场里应该怎么求救",
    "着火的时候为什么不能坐电梯",
    "电动车起火为什么蔓延那么快",
    "油锅起火了用锅盖盖住行不行",
    "家里燃气泄漏了先关阀门还是先开窗",
    "液化气罐着火了能不能用湿毛巾盖",
    "高楼着火往楼顶跑对吗",
    "火灾里烟和火哪个更危险",
    "楼里着火了躲在卫生间有用吗",
    "电器着火了能用水灭吗",
    "燃气管道漏气是什么味道",
    "插座冒火花是怎么回事，会着火吗",
    "楼道里停电动车算违规吗，一般罚多少",
    "灭火器过期了去哪里换",
    "防火门平时可以开着吗",
    "飞线充电是什么意思",
    "群租房有什么消防要求",
]
QUESTION_EN = [
    "why can't you use the lift during a fire",
    "if i'm trapped by smoke in my flat what should i do",
    "how do you put out an e-bike battery fire",
    "what does a gas leak smell like",
]
FEEDBACK_ZH = [
    "你们处理得挺及时的，谢谢",
    "报了好几次了，一点用都没有",
    "网格员上门的时候很耐心，感谢",
    "楼道的电动车终于清走了，谢谢你们",
    "你们的系统太难用了，找个入口都找不到",
    "建议周末也能有人处理",
    "消防栓已经修好了，给你们点赞",
    "报的事情过了一个月还没动静，太失望了",
    "机器人回答的东西我看不懂，希望写简单点",
    "回复速度可以再快一点",
    "感谢网格员帮忙把楼道清干净了",
    "你们说会来检查，到现在也没人来",
    "这个小程序挺方便，推荐给邻居了",
    "你们的通知能不能用大一点的字，老人看不清",
    "上次反映的烧纸问题解决了，辛苦",
    "态度太差了，问两句就不耐烦",
    "给你们提个建议，多在小区贴贴宣传海报",
    "已经处理好了，非常满意",
]
FEEDBACK_EN = [
    "thanks for fixing the exit sign so fast",
    "reported it twice, still nothing has happened",
    "suggestion: let us upload videos",
    "the worker who came was very polite",
    "great service, the stairwell is clear now",
]
OUT_ZH = [
    "楼上的空调外机噪音太大了",
    "小区门禁卡坏了去哪里补",
    "家里的马桶堵了",
    "物业天天不打扫卫生",
    "停车位被别人占了",
    "小区的监控是不是坏了",
    "楼下有人遛狗不牵绳",
    "邻居在楼道里晾衣服挡光",
    "楼上往下扔垃圾",
    "楼下面馆的排气扇吵得睡不着",
    "明天社区组织消防知识讲座，欢迎参加",
    "我们单元的自来水发黄",
    "水表坏了谁来修",
    "小区门口的红绿灯坏了",
    "快递放在门口被偷了",
    "楼下KTV太吵了",
    "煤气费怎么网上交",
    "家里宽带断了",
    "社区医院几点开门",
]
OUT_EN = [
    "my neighbour's dog barks all night",
    "the building's water is brown",
    "where do i pay the property fee",
    "someone keeps throwing rubbish from upstairs",
    "the fire safety talk is on friday at 3pm, all welcome",
]
