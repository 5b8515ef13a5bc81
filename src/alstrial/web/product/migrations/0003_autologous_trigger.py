from django.db import migrations

from alstrial.web.product.db_guards import guard_autologous


class Migration(migrations.Migration):
    dependencies = [("product", "0002_harvest_adverse_event")]

    operations = [guard_autologous()]
