from tests.identification.test_importer import *  # noqa

def test_show(app):
    members = members_file(member(" m-001 ", email="Jane.Doe@Example.org"), member("M-002"))
    matters = matters_file(matter("X-1", " m-001 "))
    result = run_import(members, matters)
    print("ERRORS", result.errors)
    assert 0
