from court import idnumbers
from court.pdfcheck import check_pdf
from tests.support.factories import id_number, pdf_bytes


def test_factories_make_valid_inputs():
    assert idnumbers.problem(id_number()) is None
    assert check_pdf(pdf_bytes(3), 10_000_000) == 3
