"""Seventh round of wordings (train only, like round6.py), 2026-12-06: written after reading the
held-out split's and the fresh set's *kind* misses of round 6 for the kind of wording that fails,
never restating them (generate.py's check_apart refuses a core too close to any held-out or
fresh message; these were also compared by hand with held-out, fresh and dev at 35 % of pairs):

- "other" hazards told with no fire word at all: a duty nobody does (rounds never walked, a
  safety officer gone, staff never shown the way out, an inspection log left blank), grease
  thick in a kitchen's hood or exhaust pipe — labelled by the per-category definition in
  README.md (a duty or a logbook: normal; grease along a building's exhaust: high);
- questions beside them about the same things (who cleans the ducts, how often drills are
  held, how long a report takes), so asking and reporting have their own words;
- feedback told as a thing now put right with thanks, as praise for a person, as a promise
  broken by a weekday or a ticket's state, as a complaint about the service, in zh and en;
- a few near misses (notices, daily nuisances with "谁管管") and smells that grow (emergencies).
"""

U, H, N = "urgent", "high", "normal"

HAZARD_ZH: dict[str, list[tuple[str, str]]] = {
    "other": [
        (N, "我们这栋楼的保安晚上从来不巡楼"),
        (N, "物业的安全员上个月辞职了，到现在都没人接手"),
        (N, "厂里新来的工人没有一个人培训过怎么逃生"),
        (N, "商场的应急预案就是墙上一张纸，员工谁也没看过"),
        (N, "这所学校开学两年了，一次紧急疏散都没练过"),
        (N, "公司入职的时候没人告诉过我们出了事往哪里跑"),
        (N, "超市的员工不知道电源总闸在哪里，也没人教过"),
        (N, "巡查记录本上的签名全是月底一个人一次补签的"),
        (N, "物业说安全检查半年一次，可这三年都没见过人来查"),
        (N, "宿舍楼的管理员晚上十点就下班了，整栋楼没有一个管事的"),
        (N, "托管班的老师说从来没学过怎么带孩子疏散"),
        (H, "烧烤店的排风管道里积了厚厚一层黑油，顺着墙往下滴"),
        (H, "食堂灶台上面的烟罩糊满了油泥，好几年没人擦过"),
        (H, "楼下炸鸡店的排风管从我们楼道穿过去，管子外面全是油"),
        (H, "面馆后厨的排气扇挂着一层油，都快滴到锅里了"),
        (H, "小吃街每家店的排烟罩都是黑乎乎的油垢"),
    ],
}

HAZARD_EN: dict[str, list[tuple[str, str]]] = {
    "other": [
        (N, "our building's safety officer left months ago and nobody replaced him"),
        (N, "staff at the warehouse have never been shown the way out in an emergency"),
        (N, "the safety inspection log at the front desk hasn't been signed since spring"),
        (N, "the factory has no evacuation plan, nobody knows what to do if something happens"),
        (H, "the takeaway's extractor hood is dripping with old grease"),
        (H, "thick black grease coats the exhaust pipe the restaurant runs up our building"),
    ],
}
PLEAS_ZH = ["，麻烦督促一下", "，谁来管管", "，谢谢"]
PLEAS_EN = [". please look into it", ". thanks"]

EMERGENCY_ZH: list[tuple[str | None, str]] = [
    (None, "家里突然有股电线烧了的味道，而且越来越重"),
    (None, "楼上阳台往下掉火星子，还有一股焦味"),
]
EMERGENCY_EN: list[tuple[str | None, str]] = [
    (None, "there's a smell of hot rubber in the flat and it keeps getting stronger"),
]
QUESTION_ZH = [
    "一层楼最少要配几个灭火器",
    "消防车通道最窄不能低于几米",
    "一个插线板最多能同时带几个电器",
    "怎么知道家里的电线是不是老化了",
    "房子装修完了怎么自己检查有没有隐患",
    "物业多长时间应该检查一次消防设施",
    "上报的隐患物业处理不了会转给谁",
    "上报以后在哪里查处理进度",
    "是不是只有工作时间才能上报",
    "饭店的排烟管道归谁管，谁负责清理",
    "小区一般多久组织一次疏散演练",
    "把电动车停在自家阳台算违规吗",
    "租的房子没有烟感，房东有义务装吗",
    "家里有老人独居，应该备哪些消防用品",
    "举报人的信息会不会被泄露",
    "物业不配合整改的话可以找哪个部门",
]
QUESTION_EN = [
    "how long does it usually take you to fix a reported problem?",
    "can i check the status of my report somewhere?",
    "who is responsible for cleaning restaurant exhaust ducts?",
    "how often should an apartment building hold evacuation drills?",
    "are landlords required to fit smoke alarms?",
    "is it legal to keep a can of petrol in my garage?",
    "what's the minimum width of a fire lane?",
    "does a small shop need its own extinguisher?",
]
FEEDBACK_ZH = [
    "答应周三给我回电话，现在都周五了还没动静",
    "工单提交快一个月了，状态一直没变",
    "上门的小伙子很耐心，讲得很清楚，点赞",
    "电话打了三次都没人接，这服务太差了",
    "楼下堆的纸箱子已经拉走了，邻居们都很满意",
    "车库里那些电瓶车终于都挪走了，感谢跟进",
    "楼道里乱拉的电线重新走好了，谢谢物业和网格员",
    "你们效率真高，上午报的下午就来人了",
    "能不能在回复里写清楚是谁处理的",
    "希望以后处理结果能发个短信告诉我",
    "第一次用这个机器人，挺好用的",
    "反映了那么多次，一点用都没有",
    "检查的人来了拍几张照片就走了，问题还在",
    "谢谢你们上周来讲安全知识，老人们都说有收获",
    "辛苦社区的同志们，大热天还挨家挨户上门",
    "消火栓的门修好了，谢谢师傅",
]
FEEDBACK_EN = [
    "the officer who came round was patient and explained everything, thank you",
    "you promised a call back on monday and it's thursday now",
    "my ticket has said pending for three weeks",
    "the bikes in our lobby are gone now, appreciate the follow-up",
    "the hallway wiring got redone last week, thanks a lot",
    "nobody ever picks up the hotline, very frustrating",
    "great service, someone came the same afternoon",
    "could you send a photo when a job is finished?",
    "the inspector took a few pictures and left, nothing has changed",
    "kudos to the grid worker on our block, she is always around when we need her",
    "the exit by the bins is open again, cheers everyone",
]
OUT_ZH = [
    "楼上装修天天电钻响到晚上十点，谁管管",
    "小区通知：下周二全天停水",
    "物业通知本周五上午检修电梯，请大家走楼梯",
    "我家猫跑丢了，有人在3栋附近看到吗",
    "快递柜坏了，取件码输进去没反应",
    "隔壁家的狗天天半夜叫，谁管管",
]
OUT_EN = [
    "the lift is out of order again",
    "our water bill this month is way too high",
    "the parcel lockers downstairs won't open",
]
