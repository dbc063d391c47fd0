"""``flask bot chat``: the terminal plays a WeChat user and shows replies and pushed messages."""
from __future__ import annotations

from bot.simulator.chat import Chat
from tests.support.wechat import good_face


def test_chat_session(make_user, court_case, run_jobs, tmp_path):
    out: list[str] = []
    chat = Chat(make_user("oCHATaaaaaaaaaaaaaaaaaaaaaaa"), out.append)
    script = iter(["/help", "/menu", "/subscribe", "/click 1", "/quit"])
    chat.loop(read=lambda _prompt: next(script))
    text = "\n".join(out)
    assert "/scan SCENE" in text and "我的 › 我的文书  (MY_DOCUMENTS)" in text
    assert "服务号 > 欢迎关注" in text and "请输入您的真实姓名" in text

    for line in ("张三", "110101199003071233", "13800000001", "246810", "同意"):
        chat.run_command(line)
    assert any("人脸信息处理告知书" in line for line in out)  # the face notice comes first
    chat.run_command("同意")  # separate consent to the face check
    photo = tmp_path / "me.jpg"
    photo.write_bytes(good_face())
    chat.run_command(f"/image {photo}")
    run_jobs(("default",))
    chat.poll_once()
    assert any(line.startswith("服务号 » [客服消息 message] 人脸识别验证通过") for line in out)
    assert chat.run_command("/voice 我的案件") and "案件" in out[-1]
    assert chat.run_command("/voice") and "请您打字输入" in out[-1]
    assert chat.run_command("/nonsense") and "unknown command" in out[-1]
    assert chat.run_command("/quit") is False
