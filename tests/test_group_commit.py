"""Group commit (SQLite) and the model's own process: faster, and still one update's rules per update."""
from __future__ import annotations

import asyncio
import os
import signal
import threading

from bot.channels.base import ChannelName, ChatKind, Inbound
from bot.group_commit import GroupCommit
from bot.models import ProcessedUpdate
from bot.nlp_process import AnalyzerProcess
from handlers import texts_citizen as tc
from tests.core_helpers import citizen, outbox, tickets

FLOOD = "Đường vô ấp 3 xã Tân Thành ngập nửa mét mấy tuần nay, xe máy chết máy hoài, xin sửa giùm"
LAMP = "Đèn đường ở khóm 5 phường 9 hư cả tháng, tối đi về rất nguy hiểm, đề nghị thay bóng"


async def test_what_arrives_during_a_batch_goes_in_the_next_one() -> None:
    release = threading.Event()
    batches: list[list[int]] = []

    def run_batch(items: list[int]) -> list[int | Exception]:
        batches.append(items)
        if len(batches) == 1:
            release.wait(5)  # the first batch is "committing" while the others arrive
        return [ValueError(f"poisoned {i}") if i == 3 else i * 10 for i in items]

    group: GroupCommit[int, int] = GroupCommit(run_batch, max_batch=3)
    first = asyncio.ensure_future(group.submit(0))
    await asyncio.sleep(0.05)
    later = [asyncio.ensure_future(group.submit(i)) for i in range(1, 6)]
    await asyncio.sleep(0.05)
    release.set()
    results = await asyncio.gather(first, *later, return_exceptions=True)
    assert batches == [[0], [1, 2, 3], [4, 5]]  # one at a time when quiet; at most max_batch together
    assert results[:3] == [0, 10, 20] and results[4:] == [40, 50]
    assert isinstance(results[3], ValueError)  # only its own caller sees a failure


def _petition(uid: str, delivery: str, text: str) -> Inbound:
    return Inbound(channel=ChannelName.TELEGRAM, delivery_id=delivery, chat_id=uid, chat_kind=ChatKind.PRIVATE,
                   sender_id=uid, text=text)


def test_updates_filed_together_in_one_transaction(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    a, b = citizen(rt, "6001"), citizen(rt, "6002")
    done = rt.process_batch([(_petition(a.sender_id, "tg:a1", FLOOD), None),
                             (_petition(b.sender_id, "tg:b1", LAMP), None),
                             (_petition(a.sender_id, "tg:a1", FLOOD), None)])  # the same update twice
    assert [r.duplicate for r in done] == [False, False, True]  # type: ignore[union-attr]
    assert len(tickets(rt)) == 2
    assert any("CM-" in r["text"] for r in outbox(rt, chat_id=a.chat_id))


def test_a_poisoned_update_does_not_cost_the_others_their_work(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    a, b, c = citizen(rt, "6011"), citizen(rt, "6012"), citizen(rt, "6013")
    broken = object()  # an "analysis" the filing code cannot read: a bug for this one update
    done = rt.process_batch([(_petition(a.sender_id, "tg:p1", FLOOD), None),
                             (_petition(b.sender_id, "tg:p2", LAMP), broken),  # type: ignore[list-item]
                             (_petition(c.sender_id, "tg:p3", LAMP), None)])
    assert not any(isinstance(r, Exception) for r in done)
    assert len(tickets(rt)) == 2  # a and c filed, after the batch was rolled back and run one by one
    assert outbox(rt, chat_id=b.chat_id)[-1]["text"] == tc.PROCESSING_FAILED
    with rt.session_factory() as s:  # b is recorded as processed: not redelivered forever
        assert all(s.get(ProcessedUpdate, d) for d in ("tg:p1", "tg:p2", "tg:p3"))


async def test_the_model_runs_in_its_own_process(analyzer) -> None:  # type: ignore[no-untyped-def]
    nlp = AnalyzerProcess(log_level="WARNING")
    await nlp.start()
    try:
        remote = await asyncio.wait_for(nlp.analyze(FLOOD), 120)  # the child loads the model first
        assert remote == analyzer(FLOOD)
        assert nlp.child.pid is not None and nlp.child.pid != os.getpid()
        os.kill(nlp.child.pid, signal.SIGKILL)  # the child dies: the bot analyses in-process from then on
        assert await nlp.analyze(LAMP) is None
        assert await nlp.analyze(FLOOD) is None
    finally:
        await nlp.close()


async def test_a_message_kept_until_consent_is_analysed_in_the_nlp_process(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    in_the_bot: list[str] = []
    model = rt.analyzer
    rt.analyzer = lambda text: in_the_bot.append(text) or model(text)
    rt.nlp_process = AnalyzerProcess(log_level="WARNING")
    await rt.start_children()
    try:
        await rt.process(_petition("6021", "tg:k1", FLOOD))  # before consent: kept, not filed
        assert tickets(rt) == []
        await rt.process(Inbound(channel=ChannelName.TELEGRAM, delivery_id="tg:k2", chat_id="6021",
                                 chat_kind=ChatKind.PRIVATE, sender_id="6021", callback_data="c:0:consent:0"))
        assert len(tickets(rt)) == 1  # filed on the button, from the database thread via the NLP process
        assert in_the_bot == []  # the bot never loaded or ran the model itself
    finally:
        await rt.close_children()
