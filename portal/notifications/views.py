from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Access, access
from portal.audit.services import record
from portal.extensions import db
from portal.notifications import bp
from portal.notifications.forms import NotificationSettingsForm
from portal.notifications.models import Frequency
from portal.notifications.services import frequency_for, set_frequency
from portal.zones import set_time_zone, zone_of


@bp.route("/settings", methods=["GET", "POST"])
@access(Access.AUTHENTICATED)
def settings():
    form = NotificationSettingsForm()
    form.set_zone_choices(zone_of(current_user))
    if form.validate_on_submit():
        frequency = Frequency(form.frequency.data)
        set_frequency(current_user, frequency)
        record(
            "notifications.preference_changed",
            object_type="user",
            object_id=current_user.id,
            detail=frequency.value,
        )
        if form.chosen_zone():
            set_time_zone(current_user, form.chosen_zone())
        db.session.commit()
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("notifications.settings"))
    if not form.is_submitted():
        form.frequency.data = frequency_for(current_user).value
        form.time_zone.data = zone_of(current_user)
    return render_template("notifications/settings.html", form=form)
