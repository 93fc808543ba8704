"""The member's own data: what the archive holds (/my-data), and the archive itself (a POST: it is
built on demand and the download is audited)."""

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal import ratelimits
from portal.access import Access, access
from portal.auth.forms import ConfirmForm
from portal.extensions import db
from portal.privacy import archive, bp, services


@bp.route("/my-data")
@access(Access.MEMBER)
def index():
    return render_template("privacy/index.html", form=ConfirmForm())


@bp.route("/my-data/archive", methods=["POST"])
@access(Access.MEMBER)
def download():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("privacy.index"))
    if not ratelimits.allow("archive", current_user):
        flash(
            _("You have downloaded your data several times recently. Please try again later."),
            "error",
        )
        return redirect(url_for("privacy.index"))
    language = current_user.language
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        data = services.collect(current_user)
        stream, size = archive.build(data)
    try:
        services.record_export(data)
        db.session.commit()
    except BaseException:
        stream.close()
        raise
    response = Response(archive.chunks(stream), mimetype="application/zip", direct_passthrough=True)
    response.call_on_close(stream.close)  # also when the download is cut short
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f'attachment; filename="{archive.file_name(data)}"'
    return response
