"""A partner's transactions file read row by row: every bad row rejected with its line and reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from intel.errors import CounterflowError
from intel.partner_transactions import read_transactions

FILE = """\
id,date,amount,currency,sender_place,sender_country,receiver_place,receiver_country
t1,2025-03-01,100,EUR,Benin City,NG,Rome,IT
t2,2025-03-01,100,EUR,Springfield,,,IT
t3,2025-13-01,100,EUR,,NG,,IT
t4,2025-03-01,-5,EUR,,NG,,IT
t5,2025-03-01,5,EURO,,NG,,IT
t6,2025-03-01,5,USD,,Narnia,,IT
t1,2025-03-01,5,USD,,NG,,IT
t7,2025-03-01,5,usd,,,,IT
t8,2025-03-02 10:30,"2,5",usd,"Tripoli, Libya",,,NE
"""


def test_rows_are_read_or_rejected_with_their_reasons(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(FILE, encoding="utf-8")
    got = read_transactions(path)
    tx = got.transactions.set_index("id")
    assert list(tx.index) == ["t1", "t8"]
    t1 = tx.loc["t1"]
    assert (t1["sender_country"], t1["sender_precision"], t1["receiver_country"]) == ("NG", "town", "IT")
    assert t1["sender_place"] == "Benin City (Edo State, Nigeria)" and t1["date"] == dt.date(2025, 3, 1)
    t8 = tx.loc["t8"]  # the time is ignored, a decimal comma read, the currency upper-cased
    assert (t8["amount"], t8["currency"], t8["sender_country"]) == (2.5, "USD", "LY")
    assert (t8["receiver_country"], t8["receiver_precision"], t8["receiver_place"]) == ("NE", "country", "")
    assert t8["receiver_lat"] != t8["receiver_lat"]  # NaN: a country has no point
    why = {line: (tid, reason) for line, tid, reason in got.rejects}
    assert why[3][1].startswith(
        "sender: place 'Springfield' is ambiguous: Springfield (Missouri"
    )  # candidates
    assert why[4][1] == "date '2025-13-01' is not a date written YYYY-MM-DD"
    assert why[5][1] == "amount '-5' is outside 0..1e+15"
    assert why[6][1].startswith("currency 'EURO' is not an ISO 4217 code")
    assert why[7][1].startswith("sender: country 'Narnia' is not a known country")
    assert why[8] == ("t1", "id 't1' repeats line 2")
    assert why[9][1] == "sender: no place or country is given"
    assert len(got.rejects) == 7


def test_a_file_without_the_needed_columns_says_which(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text("id,amount,sender_country\nx,1,NG\n", encoding="utf-8")
    with pytest.raises(CounterflowError, match="has no column 'date', 'currency'"):
        read_transactions(path)
    path.write_text("id,date,amount,currency,sender_country\nx,2025-01-01,1,EUR,NG\n", encoding="utf-8")
    with pytest.raises(CounterflowError, match="says nowhere where the receiver is"):
        read_transactions(path)


def test_an_xlsx_file_with_real_dates_and_numbers(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ID", "Date", "Amount", "Currency", "Sender_Country", "Receiver_Place"])
    sheet.append(["x1", dt.datetime(2025, 3, 1), 1250.5, "ngn", "Nigeria", "Agadez"])
    path = tmp_path / "tx.xlsx"
    book.save(path)
    got = read_transactions(path)
    assert got.rejects == []
    row = got.transactions.iloc[0]
    assert (row["date"], row["amount"], row["currency"]) == (dt.date(2025, 3, 1), 1250.5, "NGN")
    assert (row["sender_country"], row["receiver_country"], row["receiver_precision"]) == ("NG", "NE", "town")
