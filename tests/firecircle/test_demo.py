"""`firecircle demo` plays its scenes to the end: a worker checking a site of the sample
campaign, then an emergency met by a patrol team that set off and arrived, timed."""

from __future__ import annotations

from firecircle.demo import run_demo


async def test_the_demo_ends_with_a_fire_met_by_a_patrol_team():
    printed: list[str] = []
    assert await run_demo(once=True, port=0, out=printed.append) == 0
    shown = "\n".join(printed)
    scene = shown[shown.index("着火了：最近的巡逻队出警") :]
    assert "🚒 出警" in scene and "[出发]  [到场]  [已处置]  [需要支援]" in scene
    assert "巡逻队已出发赶往现场" in scene  # the resident is told
    assert "幸福社区巡逻队已到场（张伟" in scene  # the duty officer sees who got there
    visit = shown[shown.index("专项排查：网格员用 /campaign") : shown.index("着火了")]
    assert "已查 0/4 处" in visit and "[🏠 幸福小区1号楼]" in visit
    assert "幸福小区1号楼 检查完毕，发现隐患 1 项" in visit and "还有 3 处待查" in visit
    timed = next(line for line in printed if line.startswith("\n⏱ "))
    assert "幸福社区巡逻队：接警后" in timed and "秒到场" in timed
