"""The built-in allergen catalogue: drugs and drug classes, foods, environment, latex, contrast.

Codes are stable slugs in urn:healthportal:codesystem:allergen. A member names its class
(amoxicillin -> penicillins), so a trigger on a class matches every member.
"""

from django.db import migrations

# (code, display, category, group code)
CATALOGUE = [
    ("penicillins", "Penicillins", "medication", None),
    ("amoxicillin", "Amoxicillin", "medication", "penicillins"),
    ("ampicillin", "Ampicillin", "medication", "penicillins"),
    ("penicillin-v", "Penicillin V", "medication", "penicillins"),
    ("cephalosporins", "Cephalosporins", "medication", None),
    ("cefalexin", "Cefalexin", "medication", "cephalosporins"),
    ("ceftriaxone", "Ceftriaxone", "medication", "cephalosporins"),
    ("sulfonamide-antibiotics", "Sulfonamide antibiotics", "medication", None),
    ("co-trimoxazole", "Trimethoprim/sulfamethoxazole", "medication", "sulfonamide-antibiotics"),
    ("macrolides", "Macrolides", "medication", None),
    ("erythromycin", "Erythromycin", "medication", "macrolides"),
    ("azithromycin", "Azithromycin", "medication", "macrolides"),
    ("fluoroquinolones", "Fluoroquinolones", "medication", None),
    ("ciprofloxacin", "Ciprofloxacin", "medication", "fluoroquinolones"),
    ("tetracyclines", "Tetracyclines", "medication", None),
    ("doxycycline", "Doxycycline", "medication", "tetracyclines"),
    ("nsaids", "Non-steroidal anti-inflammatory drugs", "medication", None),
    ("aspirin", "Aspirin", "medication", "nsaids"),
    ("ibuprofen", "Ibuprofen", "medication", "nsaids"),
    ("naproxen", "Naproxen", "medication", "nsaids"),
    ("opioids", "Opioids", "medication", None),
    ("codeine", "Codeine", "medication", "opioids"),
    ("morphine", "Morphine", "medication", "opioids"),
    ("ace-inhibitors", "ACE inhibitors", "medication", None),
    ("lisinopril", "Lisinopril", "medication", "ace-inhibitors"),
    ("anticonvulsants", "Anticonvulsants", "medication", None),
    ("carbamazepine", "Carbamazepine", "medication", "anticonvulsants"),
    ("lamotrigine", "Lamotrigine", "medication", "anticonvulsants"),
    ("local-anaesthetics", "Local anaesthetics (amide)", "medication", None),
    ("lidocaine", "Lidocaine", "medication", "local-anaesthetics"),
    ("neuromuscular-blockers", "Neuromuscular blocking agents", "medication", None),
    ("iodinated-contrast", "Iodinated contrast media", "medication", None),
    ("gadolinium-contrast", "Gadolinium-based contrast agents", "medication", None),
    ("chlorhexidine", "Chlorhexidine", "medication", None),
    ("heparin", "Heparin", "medication", None),
    ("insulin", "Insulin", "medication", None),
    ("peanut", "Peanut", "food", None),
    ("tree-nuts", "Tree nuts", "food", None),
    ("cashew", "Cashew nut", "food", "tree-nuts"),
    ("walnut", "Walnut", "food", "tree-nuts"),
    ("almond", "Almond", "food", "tree-nuts"),
    ("cow-milk", "Cow's milk", "food", None),
    ("egg", "Egg", "food", None),
    ("wheat", "Wheat", "food", None),
    ("soy", "Soy", "food", None),
    ("fish", "Fish", "food", None),
    ("shellfish", "Shellfish", "food", None),
    ("shrimp", "Shrimp", "food", "shellfish"),
    ("sesame", "Sesame", "food", None),
    ("gelatin", "Gelatin", "food", None),
    ("latex", "Natural rubber latex", "environment", None),
    ("bee-venom", "Bee venom", "environment", None),
    ("wasp-venom", "Wasp venom", "environment", None),
    ("grass-pollen", "Grass pollen", "environment", None),
    ("tree-pollen", "Tree pollen", "environment", None),
    ("house-dust-mite", "House dust mite", "environment", None),
    ("cat-dander", "Cat dander", "environment", None),
    ("dog-dander", "Dog dander", "environment", None),
    ("mould", "Mould", "environment", None),
    ("nickel", "Nickel", "environment", None),
    ("adhesive-tape", "Medical adhesive", "environment", None),
    ("vaccine-components", "Vaccine components", "biologic", None),
    ("blood-products", "Blood products", "biologic", None),
]


def load(apps, schema_editor):
    Substance = apps.get_model("allergies", "Substance")
    by_code = {}
    for code, display, category, _ in CATALOGUE:
        by_code[code], _ = Substance.objects.update_or_create(
            code=code, defaults={"display": display, "category": category}
        )
    for code, _, _, group in CATALOGUE:
        if group:
            Substance.objects.filter(code=code).update(group=by_code[group])


def unload(apps, schema_editor):
    Substance = apps.get_model("allergies", "Substance")
    Substance.objects.filter(code__in=[row[0] for row in CATALOGUE], group__isnull=False).delete()
    Substance.objects.filter(code__in=[row[0] for row in CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [("allergies", "0002_no_known_allergies_guard")]

    operations = [migrations.RunPython(load, unload)]
