"""The demo city's catalogue in English (ServiceInput.translations, locale "en"): every procedure's name,
description, category, required documents and keywords, so the English pages read English throughout.

Pure data beside demo/city_data.py, which stays the city's own Spanish; `check()` lists what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from demo.city_data import SERVICES, DemoService

LOCALE = "en"


@dataclass(frozen=True, slots=True)
class EnglishService:
    name: str
    description: str
    category: str
    required_documents: tuple[str, ...]
    keywords: tuple[str, ...]


CATEGORIES: dict[str, str] = {
    "Ambiente": "Environment and animals",
    "Atención ciudadana": "Citizen services",
    "Catastro": "Land registry",
    "Cementerios": "Cemeteries",
    "Comercio e industria": "Business and industry",
    "Cultura y deporte": "Culture and sport",
    "Desarrollo social": "Social support",
    "Documentación": "Identity and civil records",
    "Empleo": "Employment",
    "Obras privadas": "Building works",
    "Rentas y tributos": "Municipal taxes",
    "Salud": "Health",
    "Tránsito": "Driving and traffic",
}

DOCUMENTS: dict[str, str] = {
    "Acreditación de titularidad o interés legítimo": "Proof of ownership or legitimate interest",
    "Acta a rectificar": "The record to be corrected",
    "Acta de defunción": "Death record",
    "Acta de designación de autoridades": "Minutes appointing the board",
    "Acta de infracción o notificación": "Traffic ticket or notice",
    "Acta de nacimiento": "Birth record",
    "Acta de nacimiento del hijo o hija": "The child's birth record",
    "Actas de nacimiento actualizadas": "Up-to-date birth records",
    "Anteojos o lentes de contacto, si los usa": "Glasses or contact lenses, if you wear them",
    "Análisis de laboratorio recientes, si los tiene": "Recent lab tests, if you have them",
    "Autorización o poder firmado, si el trámite lo realiza un tercero": (
        "Signed authorisation or power of attorney, if someone else comes for you"
    ),
    "Aviso de proyecto o estudio de impacto ambiental": "Project notice or environmental impact study",
    "Boceto de la lápida o placa": "Sketch of the headstone or plaque",
    "CBU a nombre del titular": "Bank account number (CBU) in the holder's name",
    "CBU o datos de la tarjeta de crédito": "Bank account number (CBU) or credit card details",
    "Carnet anterior": "Previous card",
    "Carnet de manipulador de alimentos (si vende alimentos)": "Food handler's card (if you sell food)",
    "Carnet de vacunación": "Vaccination card",
    "Carnet perinatal": "Pregnancy health card",
    "Certificado catastral": "Land registry certificate",
    "Certificado de Bomberos": "Fire brigade certificate",
    "Certificado de alumno regular": "Proof of enrolment as a student",
    "Certificado de antecedentes penales": "Criminal record certificate",
    "Certificado de aprobación del curso de educación vial": "Road safety course pass certificate",
    "Certificado de aprobación del curso de manipulación de alimentos": "Food handling course pass certificate",
    "Certificado de aptitud física": "Medical fitness certificate",
    "Certificado de convivencia o dos testigos": "Proof of living together, or two witnesses",
    "Certificado de desinfección": "Disinfection certificate",
    "Certificado de factibilidad de localización": "Zoning feasibility certificate",
    "Certificado de factibilidad para el nuevo rubro": "Zoning feasibility certificate for the new activity",
    "Certificado de final de obra": "Completion certificate",
    "Certificado de habilitación anterior": "Previous business licence",
    "Certificado de habilitación del local": "Premises licence",
    "Certificado de habilitación original": "Original business licence",
    "Certificado de habilitación vigente": "Current business licence",
    "Certificado de instalación de gas": "Gas installation certificate",
    "Certificado de libre deuda municipal": "Certificate of no municipal debt",
    "Certificado de residencia": "Certificate of residence",
    "Certificado de vacunación antirrábica": "Rabies vaccination certificate",
    "Certificado médico (pensión por invalidez)": "Medical certificate (disability pension)",
    "Certificado médico de defunción": "Medical certificate of death",
    "Certificado médico de nacimiento": "Medical certificate of birth",
    "Certificado Único de Discapacidad (CUD)": "Disability certificate (CUD)",
    "Certificado Único de Discapacidad (CUD), si lo tiene": "Disability certificate (CUD), if you have one",
    "Certificados prenupciales": "Premarital health certificates",
    "Collar y correa": "Collar and lead",
    "Comprobante de pago de la tasa de licencia": "Receipt for the licence fee",
    "Comprobante de pago del duplicado": "Receipt for the duplicate",
    "Comprobante de pago del ejemplar": "Receipt for the new card",
    "Comprobante de pago del pasaporte": "Receipt for the passport fee",
    "Comprobantes de los pagos duplicados": "Receipts of the duplicated payments",
    "Comprobantes de pago": "Payment receipts",
    "Conformidad de los familiares directos": "Consent of the next of kin",
    "Constancia de CUIL": "Proof of CUIL (tax ID)",
    "Constancia de baja de la jurisdicción anterior": "Proof of deregistration from the previous jurisdiction",
    "Constancia de baja en AFIP": "Proof of deregistration with AFIP",
    "Constancia de control de matafuegos": "Fire extinguisher inspection record",
    "Constancia de estudios alcanzados": "Proof of education completed",
    "Constancia de examen psicofísico aprobado": "Proof of a passed medical and eyesight test",
    "Constancia de examen teórico aprobado": "Proof of a passed theory test",
    "Constancia de grupo sanguíneo y factor RH": "Blood group and Rh factor record",
    "Constancia de habilitación vigente": "Proof of a current licence",
    "Constancia de ingresos del grupo familiar": "Proof of household income",
    "Constancia de ingresos o negativa de ANSES": "Proof of income, or ANSES statement of no benefits",
    "Constancia de inscripción en AFIP (CUIT)": "Proof of AFIP registration (CUIT)",
    "Constancia de inscripción en el registro de emprendedores": "Proof of registration as an entrepreneur",
    "Constancia de monotributo o monotributo social": "Proof of simplified (or social) tax registration",
    "Constancia laboral de los adultos": "Proof of employment of the adults",
    "Constancia policial o de Bomberos, si corresponde": "Police or fire brigade report, where there is one",
    "Contrato con empresa conservadora": "Contract with the maintenance company",
    "Contrato con transportista habilitado": "Contract with a licensed carrier",
    "Contrato de locación o título del local": "Lease or title deed of the premises",
    "Contrato de transferencia del fondo de comercio": "Contract transferring the business",
    "Contrato profesional visado por el Colegio": "Professional contract stamped by the professional body",
    "Contrato, garantía o reclamos previos": "Contract, warranty or earlier complaints",
    "Correo electrónico y celular a mano": "Your e-mail address and mobile phone",
    "Credencial del programa": "Programme card",
    "Croquis de la intervención": "Sketch of the works",
    "Croquis de la vereda con medidas": "Sketch of the pavement with measurements",
    "Croquis de ocupación": "Sketch of the area to be used",
    "Croquis de ocupación de la vereda": "Sketch of the pavement area to be used",
    "Croquis de ubicación": "Location sketch",
    "Currículum vitae, si lo tiene": "CV, if you have one",
    "Cédula del vehículo": "Vehicle registration card",
    "Cédula del vehículo y seguro vigente": "Vehicle registration card and current insurance",
    "DNI actual": "Current national ID card (DNI)",
    "DNI anterior": "Previous national ID card (DNI)",
    "DNI de ambos contrayentes": "ID cards of both partners",
    "DNI de ambos integrantes": "ID cards of both partners",
    "DNI de cedente y cesionario": "ID cards of the seller and the buyer",
    "DNI de dos testigos mayores de edad": "ID cards of two adult witnesses",
    "DNI de la madre, padre o tutor": "ID card of the mother, father or guardian",
    "DNI de la persona fallecida": "ID card of the deceased",
    "DNI de la persona responsable": "ID card of the person responsible",
    "DNI de madre y padre": "ID cards of both parents",
    "DNI de todos los integrantes del grupo familiar": "ID cards of everyone in the household",
    "DNI del adulto responsable": "ID card of the responsible adult",
    "DNI del declarante": "ID card of the person registering",
    "DNI del hijo o hija": "The child's ID card",
    "DNI del niño o niña": "The child's ID card",
    "DNI del niño o niña y del adulto responsable": "ID cards of the child and the responsible adult",
    "DNI del presidente": "ID card of the president",
    "DNI del presidente de la entidad": "ID card of the organisation's president",
    "DNI del representante de la empresa": "ID card of the company's representative",
    "DNI del responsable": "ID card of the person in charge",
    "DNI vigente (original)": "Valid national ID card (DNI), the original",
    "DNI, si lo tiene (también se atiende sin documentación)": (
        "ID card, if you have it (you are also seen without papers)"
    ),
    "Datos de la persona fallecida y fecha aproximada": "Details of the deceased and the approximate date",
    "Datos del acta (tomo, folio y año) si los tiene": "The record's details (volume, page and year), if you have them",
    "Declaración jurada de vivienda única": "Sworn statement that it is your only home",
    "Declaratoria de herederos (en caso de sucesión)": "Declaration of heirs (for an inheritance)",
    "Declaratoria de herederos o cesión firmada": "Declaration of heirs or signed transfer",
    "Denuncia policial de extravío o robo": "Police report of the loss or theft",
    "Derivación médica, si la tiene": "Doctor's referral, if you have one",
    "Descripción de la actividad": "Description of the activity",
    "Descripción de la propuesta artística": "Description of the artistic proposal",
    "Descripción del emprendimiento": "Description of the business",
    "Descripción del evento o proyecto": "Description of the event or project",
    "Descripción del puesto": "Job description",
    "Detalle de ingresos del período": "Income for the period",
    "Detalle de los residuos a retirar": "List of the items to collect",
    "Dirección del inmueble": "Address of the property",
    "Dirección del lugar": "Address of the place",
    "Dirección del lugar denunciado": "Address of the place reported",
    "Dirección exacta del lugar": "Exact address of the place",
    "Dirección exacta o referencia del lugar del problema": "Exact address or landmark of the problem",
    "Dirección exacta y fotos del árbol": "Exact address and photos of the tree",
    "Dirección o ubicación aproximada del baldío": "Address or approximate location of the vacant lot",
    "Dirección y nomenclatura catastral del inmueble": "Address and land registry reference of the property",
    "Documentación que acredite el dato correcto": "Documents proving the correct details",
    "Documentación respaldatoria del pedido": "Documents supporting the request",
    "Dominio del vehículo o número de acta": "Number plate or ticket number",
    "Dos testigos con DNI domiciliados en la ciudad": "Two witnesses living in the city, with their ID cards",
    "Electrocardiograma (mayores de 35 años)": "Electrocardiogram (over 35s)",
    "Escritura o boleto de compraventa del inmueble": "Title deed or purchase contract of the property",
    "Escrituras de las parcelas": "Title deeds of the plots",
    "Estatuto y personería jurídica": "Statutes and legal registration",
    "Estudio de impacto ambiental": "Environmental impact study",
    "Estudios complementarios": "Further tests",
    "Estudios previos, si los tiene": "Earlier tests, if you have them",
    "Factibilidades de servicios": "Utility feasibility reports",
    "Factura de luz o agua a nombre del titular": "Electricity or water bill in the holder's name",
    "Factura de un servicio (luz, agua o gas) a nombre del titular": (
        "A utility bill (electricity, water or gas) in the holder's name"
    ),
    "Factura o ticket de compra": "Invoice or receipt of the purchase",
    "Fotografías o informe técnico del inmueble": "Photos or a technical report of the property",
    "Fotos de los productos": "Photos of the products",
    "Fotos del estado de la vivienda": "Photos of the state of the home",
    "Fotos o videos, si los tiene": "Photos or videos, if you have them",
    "Habilitación del establecimiento elaborador": "Licence of the producing premises",
    "Horarios en que se produce el ruido": "The times the noise happens",
    "Intimación recibida": "The notice received",
    "Libreta de familia (si están casados)": "Family book (if married)",
    "Libreta de salud infantil": "Child health booklet",
    "Libreta sanitaria de la mascota": "The pet's health booklet",
    "Libreta sanitaria de la mascota, si la tiene": "The pet's health booklet, if it has one",
    "Libro de inspección del ascensor": "Lift inspection log",
    "Libro de obra": "Site log book",
    "Licencia de conducir anterior": "Previous driving licence",
    "Licencia de conducir vigente": "Current driving licence",
    "Licencia de inhumación": "Burial licence",
    "Licencia profesional": "Professional driving licence",
    "Listado de participantes": "List of participants",
    "Manta para el traslado": "A blanket for the journey",
    "Matrícula profesional vigente": "Current professional registration",
    "Memoria descriptiva del proyecto": "Project description",
    "Nombre completo y fecha aproximada de fallecimiento": "Full name and approximate date of death",
    "Nomenclatura catastral": "Land registry reference",
    "Nomenclatura catastral o dirección del inmueble": "Land registry reference or address of the property",
    "Nota con firmas de los vecinos de la cuadra": "Letter signed by the neighbours on the block",
    "Nota de solicitud con el nombre de pila elegido": "Request letter with the chosen first name",
    "Nota de solicitud firmada": "Signed request letter",
    "Número de acta o de causa": "Ticket or case number",
    "Número de cuenta o dominio": "Account number or number plate",
    "Número de expediente de habilitación": "Licence case number",
    "Número de expediente del permiso": "Permit case number",
    "Número de expediente del permiso de obra": "Building permit case number",
    "Número de expediente o constancia de inicio": "Case number or filing receipt",
    "Número de expediente o dirección del inmueble": "Case number or address of the property",
    "Oficio o nota del organismo solicitante": "Official letter from the requesting body",
    "Partida de nacimiento": "Birth certificate",
    "Partida de nacimiento (solo menores)": "Birth certificate (minors only)",
    "Personería jurídica del club": "The club's legal registration",
    "Plan de demolición firmado por profesional": "Demolition plan signed by a professional",
    "Plan de evacuación aprobado": "Approved evacuation plan",
    "Plan de seguridad y limpieza": "Safety and cleaning plan",
    "Plano de mensura firmado por agrimensor": "Survey plan signed by a surveyor",
    "Plano de propiedad horizontal": "Strata (horizontal property) plan",
    "Plano de relevamiento firmado por profesional": "As-built survey plan signed by a professional",
    "Plano de subdivisión firmado por agrimensor": "Subdivision plan signed by a surveyor",
    "Plano de unión firmado por agrimensor": "Plot merger plan signed by a surveyor",
    "Plano o croquis de las mejoras": "Plan or sketch of the improvements",
    "Plano o croquis del local": "Plan or sketch of the premises",
    "Plano o fotomontaje del cartel": "Plan or mock-up of the sign",
    "Planos aprobados de la construcción existente": "Approved plans of the existing building",
    "Planos conforme a obra": "As-built plans",
    "Planos firmados por profesional matriculado": "Plans signed by a registered professional",
    "Presupuesto de lo que se comprará": "Quote for what will be bought",
    "Propuesta de la actividad": "Proposal for the activity",
    "Proyecto de loteo firmado por profesionales": "Development plan signed by professionals",
    "Pruebas que respalden el descargo": "Evidence supporting your defence",
    "Póliza de seguro para transporte escolar": "School transport insurance policy",
    "Receta vigente": "Valid prescription",
    "Resumen de historia clínica": "Summary of medical history",
    "Revisación dermatológica": "Skin check-up",
    "Rótulo del producto": "Product label",
    "Seguro de responsabilidad civil": "Third-party liability insurance",
    "Seguro de responsabilidad civil para pasajeros": "Passenger liability insurance",
    "Seguro vigente": "Current insurance",
    "Solicitud del escribano o profesional (si corresponde)": "Request from the notary or professional (where needed)",
    "Transportadora o caja cerrada con ventilación": "Pet carrier or closed box with air holes",
    "Título de propiedad o contrato, si no es el titular": "Title deed or contract, if you are not the owner",
    "Título del automotor": "Vehicle title",
    "Título del nicho": "Niche title",
    "Título del nicho o parcela": "Niche or plot title",
    "Título del vehículo": "Vehicle title",
    "Título o cédula del vehículo": "Vehicle title or registration card",
    "Título o último comprobante de arriendo": "Title or the last lease receipt",
    "Ubicación del nicho o parcela": "Location of the niche or plot",
    "Una foto carnet": "One passport-size photo",
    "Último cedulón de la tasa o número de cuenta": "The latest rates bill or account number",
    "Último recibo de haberes": "Latest pay slip",
}

# slug: (name, description, keywords people would type in English)
_SERVICES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "mesa-de-entradas": (
        "Opening a case file at the front desk",
        "Handing in letters and papers to open an administrative case file with the City.",
        ("case file", "submit a letter", "paperwork"),
    ),
    "reclamo-vecinal": (
        "Neighbourhood complaints and suggestions",
        "Report street lighting, potholes, cleaning and other city services, and get a tracking number.",
        ("complaint", "pothole", "street light", "report a problem"),
    ),
    "consulta-estado-expediente": (
        "Checking the status of a case file",
        "How a case file opened at any municipal office is getting on.",
        ("case status", "file status", "follow up"),
    ),
    "ciudadano-digital": (
        "Verifying a Vecino Digital (VeDi) account",
        "In-person identity check to use the City's online procedures.",
        ("digital account", "online account", "password", "VeDi"),
    ),
    "renovacion-dni": (
        "National ID card (DNI) renewal",
        "Updating the DNI when it expires, or the compulsory update at ages 5-8 and 14.",
        ("ID card", "identity card", "expired ID", "renew ID"),
    ),
    "dni-primera-vez": (
        "ID card for newborns",
        "First DNI for children registered at the Civil Registry. The child comes with their mother, father "
        "or guardian.",
        ("baby ID", "newborn ID", "first ID card"),
    ),
    "duplicado-dni": (
        "New ID card after loss or theft",
        "A new copy of the DNI when the old one was lost, stolen or damaged.",
        ("lost ID", "stolen ID", "replacement ID card"),
    ),
    "cambio-domicilio-dni": (
        "Change of address on the ID card",
        "Updating the address on the DNI. You get a new card with your current address.",
        ("moving house", "change of address", "new address"),
    ),
    "pasaporte": (
        "Passport application",
        "Biometric data capture for the Argentine passport. Minors come with both parents.",
        ("passport", "travel document", "expired passport", "travel abroad"),
    ),
    "certificado-domicilio": (
        "Proof of address certificate",
        "Certifies where you actually live, for work, school and court procedures.",
        ("proof of address", "address certificate", "residence proof"),
    ),
    "certificado-residencia": (
        "Certificate of residence",
        "Certifies how many years you have lived in the city of Córdoba, for instance for grants or provincial "
        "programmes.",
        ("residence certificate", "years of residence"),
    ),
    "certificado-supervivencia": (
        "Proof of life certificate",
        "Proof of life for retirees and pensioners paid by funds of other provinces or from abroad.",
        ("proof of life", "pension", "retirement"),
    ),
    "partida-nacimiento": (
        "Copy of a birth record",
        "A certified copy of a birth record registered in the city.",
        ("birth certificate", "birth record", "certificate copy"),
    ),
    "partida-matrimonio": (
        "Copy of a marriage record",
        "A certified copy of a marriage record, with its margin notes.",
        ("marriage certificate", "marriage record"),
    ),
    "partida-defuncion": (
        "Copy of a death record",
        "A certified copy of a death record, needed for inheritances and pension procedures.",
        ("death certificate", "death record"),
    ),
    "inscripcion-nacimiento": (
        "Registering a birth",
        "Registering a birth within 40 days. You receive the record and the first DNI is started.",
        ("register a birth", "newborn", "baby"),
    ),
    "reconocimiento-hijo": (
        "Acknowledging a son or daughter",
        "Voluntary acknowledgement of parentage of a child already registered.",
        ("paternity", "acknowledge a child", "parentage"),
    ),
    "inscripcion-defuncion": (
        "Registering a death",
        "Registering a death that happened in the city. Usually done by the funeral company.",
        ("register a death", "death", "funeral"),
    ),
    "reserva-matrimonio-civil": (
        "Booking a date for a civil wedding",
        "Choosing the date and time of the ceremony and handing in the couple's documents.",
        ("civil wedding", "marriage", "get married", "wedding date"),
    ),
    "union-convivencial": (
        "Registering a civil partnership",
        "Registering a cohabiting union under the Civil and Commercial Code; both partners come.",
        ("civil partnership", "cohabitation", "domestic partnership"),
    ),
    "rectificacion-acta": (
        "Correcting civil records",
        "Correcting clerical errors in birth, marriage or death records.",
        ("correct a certificate", "record correction", "spelling mistake"),
    ),
    "rectificacion-genero": (
        "Gender identity correction of records",
        "Procedure under Law 26,743 to correct sex and name on the birth record and the DNI.",
        ("gender identity", "name change", "gender marker"),
    ),
    "licencia-conducir-original": (
        "First driving licence",
        "Your first driving licence: medical, theory and practical tests. You must have passed the road safety course.",
        ("driving licence", "driver's license", "licence", "license", "first licence"),
    ),
    "renovacion-licencia-conducir": (
        "Driving licence renewal",
        "Renewing an expired licence issued in Córdoba. Includes the medical and eyesight test.",
        ("licence renewal", "license renewal", "expired licence", "driving licence"),
    ),
    "duplicado-licencia-conducir": (
        "Duplicate driving licence",
        "A new copy of your current licence after loss, theft or damage.",
        ("lost licence", "stolen license", "replacement licence"),
    ),
    "cambio-categoria-licencia": (
        "Adding or changing a licence category",
        "Adding new categories (a motorbike or a van, for instance) to your current licence, with a practical test.",
        ("motorbike licence", "licence category", "truck licence"),
    ),
    "curso-educacion-vial": (
        "Road safety course",
        "Compulsory in-person course for those applying for their first driving licence.",
        ("road safety", "driving course", "traffic rules course"),
    ),
    "examen-teorico-conducir": (
        "Driving theory test",
        "Written test on traffic rules and road signs, on a computer.",
        ("driving test", "theory test", "written test"),
    ),
    "examen-practico-conducir": (
        "Practical driving test",
        "Driving test on the track. Come with a vehicle of the right category and its papers.",
        ("driving test", "road test", "practical test"),
    ),
    "examen-psicofisico": (
        "Medical and eyesight test for drivers",
        "Medical, eyesight and hearing check needed to get or renew a licence.",
        ("eye test", "medical test", "driver medical"),
    ),
    "licencia-profesional": (
        "Professional driving licence",
        "Licence to carry passengers or goods (taxis, minicabs, buses, lorries).",
        ("professional licence", "taxi licence", "truck driver", "bus driver"),
    ),
    "certificado-legalidad-licencia": (
        "Driving licence validity certificate",
        "Certifies that a licence issued in Córdoba is valid, to exchange it elsewhere.",
        ("licence validity", "licence exchange", "license certificate"),
    ),
    "consulta-multas": (
        "Checking traffic tickets",
        "Traffic tickets issued to a vehicle or driver, and the ways to pay them.",
        ("traffic fine", "traffic ticket", "speeding ticket", "fines"),
    ),
    "descargo-multa": (
        "Contesting a ticket at the Misdemeanours Court",
        "Presenting your defence against a traffic ticket to the administrative judge.",
        ("appeal a fine", "contest a ticket", "dispute a fine"),
    ),
    "plan-pago-multas": (
        "Payment plan for traffic fines",
        "Paying final traffic fines in instalments.",
        ("fine instalments", "pay fines", "payment plan"),
    ),
    "liberacion-vehiculo": (
        "Releasing an impounded vehicle",
        "Release order for cars or motorbikes held at the municipal impound lot.",
        ("impounded car", "tow truck", "car pound"),
    ),
    "estacionamiento-discapacidad": (
        "Disabled parking permit",
        "A badge to park in reserved spaces and in paid-parking zones free of charge.",
        ("disabled parking", "parking badge", "blue badge"),
    ),
    "habilitacion-taxi-remis": (
        "Taxi or minicab licence",
        "New or renewed licence for a vehicle used as a taxi or minicab.",
        ("taxi licence", "minicab", "cab permit"),
    ),
    "habilitacion-transporte-escolar": (
        "School transport licence",
        "Yearly licence for school transport vehicles, their drivers and attendants.",
        ("school bus", "school transport"),
    ),
    "inspeccion-vehiculos-alquiler": (
        "Inspection of vehicles for hire",
        "Six-monthly check of the mechanics and safety of taxis, minicabs and school transport.",
        ("vehicle inspection", "taxi inspection", "roadworthiness"),
    ),
    "consulta-deuda-tasas": (
        "Checking municipal tax debts",
        "Account statement of property, business and vehicle taxes.",
        ("taxes", "tax debt", "council tax", "what I owe"),
    ),
    "libre-deuda-municipal": (
        "Certificate of no municipal debt",
        "Certifies that a property, business or vehicle owes nothing to the City.",
        ("no debt certificate", "tax clearance"),
    ),
    "plan-pagos-tasas": (
        "Payment plan for municipal taxes",
        "Settling tax debts in instalments under the plans in force.",
        ("tax instalments", "payment plan", "tax debt"),
    ),
    "exencion-jubilados": (
        "Property tax exemption for retirees",
        "Full or partial exemption for retirees and pensioners on the minimum pension with a single home.",
        ("retiree discount", "pensioner exemption", "property tax"),
    ),
    "exencion-discapacidad": (
        "Tax exemption for people with disabilities",
        "Property or vehicle tax exemption for people with disabilities.",
        ("disability exemption", "tax exemption"),
    ),
    "exencion-entidades": (
        "Tax exemption for non-profit organisations",
        "Exemption for clubs, neighbourhood centres, school associations and civil associations.",
        ("non-profit", "charity exemption", "club exemption"),
    ),
    "cambio-titularidad-tributaria": (
        "Change of property taxpayer",
        "Updating the holder of the property tax account after a sale or an inheritance.",
        ("change of owner", "property owner", "new owner"),
    ),
    "cambio-domicilio-fiscal": (
        "Change of postal or tax address",
        "Changing the address where bills and notices are sent.",
        ("billing address", "postal address", "tax address"),
    ),
    "debito-automatico": (
        "Direct debit sign-up",
        "Paying municipal taxes by direct debit from a bank account or credit card.",
        ("direct debit", "automatic payment"),
    ),
    "cedulon-digital": (
        "Paperless tax bills",
        "Signing up to receive tax bills by e-mail instead of on paper.",
        ("e-bill", "paperless", "bill by email"),
    ),
    "reimpresion-cedulon": (
        "Reprinting a tax bill",
        "Reprinting overdue or missing tax bills, updated to today.",
        ("tax bill", "lost bill", "invoice reprint"),
    ),
    "alta-comercio-industria": (
        "Registering for the Business and Industry tax",
        "Registering as a payer of the tax on commercial, industrial and service activities.",
        ("start a business", "business tax", "register a business"),
    ),
    "baja-comercio-industria": (
        "Deregistering from the Business and Industry tax",
        "Ending your activity with the tax office and closing the business tax account.",
        ("close a business", "business tax"),
    ),
    "declaracion-jurada-comercio": (
        "Filing the yearly business tax return",
        "Help filing the yearly sworn statement of the activity's gross income.",
        ("tax return", "business return", "gross income"),
    ),
    "reclamo-liquidacion-tasas": (
        "Complaint about a tax bill",
        "Reviewing billed amounts, payments not credited or wrong account details.",
        ("wrong bill", "tax complaint", "billing error"),
    ),
    "devolucion-pagos": (
        "Refund or credit of duplicate payments",
        "Asking for a refund or credit of amounts paid twice or in excess.",
        ("refund", "paid twice", "overpayment"),
    ),
    "radicacion-automotor": (
        "Registering a vehicle in the city",
        "Registering a vehicle for the vehicle tax after buying it or moving it to Córdoba.",
        ("vehicle tax", "car registration", "new car"),
    ),
    "libre-deuda-automotor": (
        "No-debt certificate for vehicle tax",
        "Certificate that the vehicle owes no tax, needed to transfer it at the Motor Vehicle Registry.",
        ("vehicle debt", "car sale", "vehicle tax"),
    ),
    "habilitacion-comercial-alta": (
        "Business licence: new",
        "Starting the licence of commercial, industrial or service premises.",
        ("business licence", "open a shop", "business permit"),
    ),
    "habilitacion-comercial-baja": (
        "Business licence: closing",
        "Ending the licence when the business closes.",
        ("close a shop", "business licence"),
    ),
    "habilitacion-comercial-renovacion": (
        "Business licence: renewal",
        "Renewing an expired or expiring licence.",
        ("renew business licence", "licence renewal"),
    ),
    "cambio-rubro": (
        "Changing or adding a business activity",
        "Changing the licensed activity or adding new ones at the same premises.",
        ("change of activity", "new activity"),
    ),
    "transferencia-comercio": (
        "Transferring a business licence",
        "Changing the holder of a licensed business, keeping its activity and premises.",
        ("sell a business", "business transfer"),
    ),
    "inspeccion-local-comercial": (
        "Prior inspection of business premises",
        "Arranging the inspectors' visit to check safety and hygiene.",
        ("shop inspection", "premises inspection"),
    ),
    "factibilidad-uso-suelo": (
        "Zoning feasibility certificate",
        "Prior report saying whether an activity may be carried on at a given property.",
        ("zoning", "land use", "can I open here"),
    ),
    "habilitacion-espectaculos": (
        "Licence for public entertainment venues",
        "Licensing party halls, bars with live music, theatres and dance venues.",
        ("venue licence", "live music", "nightclub"),
    ),
    "carnet-manipulador": (
        "Food handler's card",
        "Compulsory card for those who prepare, pack or sell food. Requires a passed course.",
        ("food handler", "food hygiene card", "health card"),
    ),
    "renovacion-carnet-manipulador": (
        "Food handler's card renewal",
        "Renewing an expired card, with a refresher course.",
        ("food handler renewal", "expired health card"),
    ),
    "curso-manipulacion-alimentos": (
        "Safe food handling course",
        "In-person training on hygiene and good practice, required for the food handler's card.",
        ("food hygiene course", "food safety"),
    ),
    "registro-productos-alimenticios": (
        "Registering food products",
        "Municipal registration of food made by local small businesses.",
        ("food product", "food registration"),
    ),
    "habilitacion-vehiculo-alimentos": (
        "Licence for food transport vehicles",
        "Inspecting and licensing vehicles that carry food within the city.",
        ("food van", "food transport"),
    ),
    "venta-ambulante": (
        "Street vending permit",
        "Permit for street vendors in the authorised areas.",
        ("street vendor", "hawker", "street stall"),
    ),
    "feria-emprendedores": (
        "Joining the municipal markets",
        "Signing up craftspeople and small businesses for the city's markets.",
        ("craft fair", "market stall", "makers market"),
    ),
    "mesas-sillas-vereda": (
        "Pavement tables and chairs permit",
        "Permission for bars and restaurants to use the pavement with tables, chairs and umbrellas.",
        ("outdoor seating", "terrace permit", "sidewalk cafe"),
    ),
    "carteleria": (
        "Signs and advertising permit",
        "Permission for signs, awnings and advertising visible from the street.",
        ("shop sign", "billboard", "advertising"),
    ),
    "defensa-consumidor-denuncia": (
        "Consumer protection complaint",
        "Complaints about shops or companies that broke their obligations, and a hearing date.",
        ("consumer complaint", "faulty product", "refund dispute"),
    ),
    "permiso-edificacion": (
        "Building permit",
        "Approving plans and the permit to build. Handled by the professional in charge.",
        ("building permit", "construction permit", "plans"),
    ),
    "permiso-ampliacion": (
        "Extension or refurbishment permit",
        "Permit to extend, alter or refurbish an existing building with approved plans.",
        ("home extension", "renovation permit", "refurbishment"),
    ),
    "registro-obra-existente": (
        "Registering existing building work",
        "Surveying and registering work done without a permit, paying the surcharges.",
        ("unpermitted work", "regularise a building"),
    ),
    "final-de-obra": (
        "Completion certificate",
        "Final inspection and certificate that the work matches the plans.",
        ("completion certificate", "final inspection"),
    ),
    "inspeccion-obra": (
        "Building inspection request",
        "Asking for an inspection of work in progress (foundations, structure, services).",
        ("site inspection", "building inspection"),
    ),
    "permiso-demolicion": (
        "Demolition permit",
        "Permission to demolish all or part of a building, with safety measures.",
        ("demolition", "knock down"),
    ),
    "visacion-previa": (
        "Preliminary plan review",
        "A first review of the project to find issues before applying for the permit.",
        ("plan review", "pre-application"),
    ),
    "consulta-tecnica-obras": (
        "Technical enquiry on building works",
        "A meeting with a technician about building rules and case files.",
        ("building rules", "technical advice"),
    ),
    "construccion-vereda": (
        "Pavement building or repair permit",
        "Permission to build or repair the pavement to the accessibility rules in force.",
        ("pavement repair", "sidewalk", "footpath"),
    ),
    "ocupacion-vereda-obra": (
        "Pavement use permit for building work",
        "Temporary permit to place materials, skips or scaffolding on the pavement.",
        ("skip permit", "scaffolding", "dumpster"),
    ),
    "conexion-cloacas": (
        "Sewer connection request",
        "Connecting your home to the sewer network where it is already available.",
        ("sewer", "sewage connection", "drains"),
    ),
    "factibilidad-servicios": (
        "Utility feasibility certificate",
        "Report on water, sewers, drainage and power available for new projects.",
        ("utilities", "water supply", "power supply"),
    ),
    "apertura-via-publica": (
        "Street opening permit",
        "Permission to break the road or pavement for utility connections, and restore it afterwards.",
        ("road works", "dig the street"),
    ),
    "habilitacion-ascensores": (
        "Lift maintenance register",
        "Registering lifts and goods lifts and the company responsible for their upkeep.",
        ("lift", "elevator", "lift maintenance"),
    ),
    "registro-profesionales": (
        "Register of building professionals and builders",
        "Registering or updating architects, engineers, master builders and building firms.",
        ("architect", "engineer", "builder registration"),
    ),
    "intimacion-baldio": (
        "Answering a notice to fence a vacant lot",
        "Presenting a defence or asking for more time after a notice to fence a vacant lot.",
        ("vacant lot", "fence notice", "empty plot"),
    ),
}
_SERVICES |= {
    "certificado-catastral": (
        "Land registry certificate",
        "Certificate with a property's registry reference, area and valuation, required for deeds.",
        ("land registry", "property certificate", "cadastre"),
    ),
    "visacion-mensura": (
        "Survey plan approval",
        "Municipal review and approval of a survey plan before it is registered with the Province.",
        ("survey plan", "land survey"),
    ),
    "subdivision-parcela": (
        "Plot subdivision approval",
        "Approving the division of a lot into two or more plots under the urban rules.",
        ("subdivide land", "split a plot"),
    ),
    "union-parcelas": (
        "Plot merger approval",
        "Approving the merger of two or more neighbouring lots of the same owner.",
        ("merge plots", "join lots"),
    ),
    "propiedad-horizontal": (
        "Strata plan approval",
        "Reviewing the plan dividing a building or duplex into separately owned units.",
        ("strata", "flats", "condominium"),
    ),
    "nomenclatura-catastral": (
        "Land registry reference report",
        "Report with a property's land registry reference and account number.",
        ("cadastral reference", "property reference"),
    ),
    "numeracion-domiciliaria": (
        "House numbering",
        "Giving or checking the official street number of a property.",
        ("house number", "street number", "address number"),
    ),
    "revision-valuacion": (
        "Review of a property valuation",
        "Asking for a review of a property's tax valuation when it does not reflect reality.",
        ("property valuation", "valuation appeal"),
    ),
    "copia-plano": (
        "Copy of an archived plan",
        "Certified copy of survey, development or building plans kept by the City.",
        ("plan copy", "building plans", "archive"),
    ),
    "certificado-zonificacion": (
        "Zoning certificate",
        "States a plot's planning zone and the building coverage and heights allowed.",
        ("zoning", "planning zone", "building height"),
    ),
    "aprobacion-loteo": (
        "Approval of a land development",
        "Submitting and following up plans for developments, estates and gated communities.",
        ("housing development", "land development", "gated community"),
    ),
    "declaracion-mejoras": (
        "Declaring building improvements",
        "Declaring new buildings or extensions to update the land registry.",
        ("improvements", "new construction", "extension"),
    ),
    "turno-clinica-medica": (
        "GP appointment",
        "An appointment with a general practitioner for people without health insurance.",
        ("doctor", "GP", "general practitioner", "medical appointment"),
    ),
    "turno-pediatria": (
        "Paediatrics appointment",
        "A paediatric appointment for children from 0 to 14.",
        ("paediatrician", "pediatrician", "children's doctor"),
    ),
    "turno-ginecologia": (
        "Gynaecology appointment",
        "Gynaecological consultation, yearly check-ups, smear tests and contraception.",
        ("gynaecologist", "gynecologist", "smear test", "contraception"),
    ),
    "turno-odontologia": (
        "Dental appointment",
        "General dental care: check-ups, fillings and extractions.",
        ("dentist", "toothache", "dental"),
    ),
    "vacunacion-calendario": (
        "Routine vaccination",
        "The vaccines of the National Schedule for all ages, without a prescription.",
        ("vaccine", "vaccination", "jab", "immunisation"),
    ),
    "apto-fisico": (
        "Medical fitness certificate",
        "Medical check for a school or sports fitness certificate.",
        ("fitness certificate", "sports medical", "school medical"),
    ),
    "control-nino-sano": (
        "Well-child check-up",
        "Growth and development check-up for children under 6.",
        ("child check-up", "baby check-up"),
    ),
    "control-prenatal": (
        "Antenatal check-up",
        "Pregnancy check-ups with obstetrics and referral for further tests.",
        ("pregnancy", "antenatal", "prenatal"),
    ),
    "testeo-vih": (
        "HIV and syphilis testing",
        "Quick, free and confidential testing with counselling.",
        ("HIV test", "STI test", "syphilis"),
    ),
    "salud-mental": (
        "Mental health intake",
        "An intake interview with the mental health team to start treatment.",
        ("mental health", "psychologist", "therapy"),
    ),
    "consulta-nutricion": (
        "Nutrition appointment",
        "Assessment and an eating plan with a nutritionist.",
        ("nutritionist", "diet", "dietitian"),
    ),
    "entrega-medicamentos": (
        "Collecting medicines from the municipal programme",
        "Long-term medication for patients enrolled in the municipal programme.",
        ("medicines", "prescription", "pharmacy"),
    ),
    "orientacion-cud": (
        "Guidance on the Disability Certificate",
        "Advice on the requirements and papers to apply for the CUD.",
        ("disability certificate", "CUD"),
    ),
    "beca-estudiantil": (
        "Municipal student grant",
        "Applying for grants for secondary and university students living in the city.",
        ("scholarship", "student grant", "bursary"),
    ),
    "tarjeta-alimentaria": (
        "Municipal food programme",
        "Signing up vulnerable families for monthly food assistance.",
        ("food aid", "food assistance", "food bank"),
    ),
    "emergencia-habitacional": (
        "Housing emergency assistance",
        "Assessing and helping families hit by fires, storms or evictions.",
        ("housing emergency", "eviction", "homeless"),
    ),
    "orientacion-pensiones": (
        "Guidance on non-contributory pensions",
        "Advice and paperwork for old-age, disability or mother-of-seven pensions.",
        ("pension", "disability pension", "old-age pension"),
    ),
    "pase-libre-discapacidad": (
        "Free city transport pass for people with disabilities",
        "A card to travel free on city buses, with a companion where needed.",
        ("free bus pass", "transport pass", "bus"),
    ),
    "adultos-mayores": (
        "Programmes for older people",
        "Joining workshops, outings and activities at the municipal seniors' centres.",
        ("seniors", "older people", "elderly"),
    ),
    "jardines-maternales": (
        "Municipal nurseries enrolment",
        "Pre-enrolling children from 45 days to 3 years old in the municipal nurseries.",
        ("nursery", "daycare", "creche"),
    ),
    "violencia-genero": (
        "Help with gender-based violence",
        "Listening, guidance and support from a multidisciplinary team. You are also seen without an appointment.",
        ("domestic violence", "gender violence", "abuse"),
    ),
    "informe-socioambiental": (
        "Social assessment report request",
        "Asking for a social worker's visit for reports required by courts or other bodies.",
        ("social worker", "social report"),
    ),
    "materiales-construccion": (
        "Help with building materials",
        "Materials for urgent home repairs of vulnerable families.",
        ("building materials", "home repairs"),
    ),
    "garrafa-social": (
        "Social Gas Bottle programme",
        "Signing up for gas bottles at a social price in areas without mains gas.",
        ("gas bottle", "LPG", "cheap gas"),
    ),
    "tarifa-social": (
        "Social utility rates",
        "Applying for the social water rate and the social bus fare for low-income families.",
        ("social rate", "water bill", "discount", "bus fare"),
    ),
    "inclusion-discapacidad": (
        "Advice on disability inclusion",
        "Guidance on the rights, benefits, and work and school inclusion of people with disabilities.",
        ("disability", "inclusion", "accessibility"),
    ),
    "proteccion-ninez": (
        "Guidance on protecting children's rights",
        "Help in situations where the rights of children and teenagers are at risk.",
        ("child protection", "children's rights"),
    ),
    "poda-arbolado": (
        "Street tree pruning request",
        "Asking for pruning of pavement trees that get in the way of cables, lights or people.",
        ("tree pruning", "branches", "trim a tree"),
    ),
    "extraccion-arbol": (
        "Tree removal request",
        "Asking for removal of dead, diseased or unsafe trees; an inspection comes first.",
        ("tree removal", "dead tree", "fallen tree"),
    ),
    "plantacion-arbol": (
        "Street tree planting request",
        "Asking for native species to be planted on the pavement in front of your home.",
        ("plant a tree", "tree planting"),
    ),
    "castracion-perros": (
        "Dog neutering",
        "Free neutering of male and female dogs from 6 months old. Come after 8 hours without food.",
        ("neuter a dog", "spay", "dog"),
    ),
    "castracion-gatos": (
        "Cat neutering",
        "Free neutering of male and female cats from 6 months old. Come after 8 hours without food.",
        ("neuter a cat", "spay", "cat"),
    ),
    "vacunacion-antirrabica": (
        "Rabies vaccination",
        "Free rabies vaccination for dogs and cats from 3 months old.",
        ("rabies", "pet vaccine", "dog vaccine"),
    ),
    "registro-mascotas": (
        "Pet registration and identification",
        "Registering your pet with the City and fitting an identification chip.",
        ("pet", "microchip", "dog registration"),
    ),
    "perros-potencialmente-peligrosos": (
        "Register of potentially dangerous dogs",
        "Compulsory registration of dogs of breeds considered potentially dangerous.",
        ("dangerous dog", "dog breed"),
    ),
    "denuncia-ruidos": (
        "Noise complaint",
        "Reporting noise or vibration from shops, industry or building work.",
        ("noise", "loud neighbours", "noise complaint"),
    ),
    "residuos-voluminosos": (
        "Bulky waste collection",
        "Arranging collection of unwanted furniture, mattresses and appliances.",
        ("bulky waste", "old furniture", "rubbish collection"),
    ),
    "aptitud-ambiental": (
        "Environmental fitness certificate",
        "Environmental assessment of businesses and industries that affect their surroundings.",
        ("environmental permit", "environmental assessment"),
    ),
    "generadores-residuos": (
        "Register of special waste producers",
        "Registering workshops, labs and shops that produce hazardous or clinical waste.",
        ("hazardous waste", "clinical waste"),
    ),
    "control-vectores": (
        "Pest and vector control",
        "Asking for fumigation, clearing of standing water, or rodent and mosquito control (dengue prevention).",
        ("pest control", "mosquitoes", "rats", "dengue"),
    ),
    "compostaje-domiciliario": (
        "Home composting programme",
        "Signing up to get a compost bin and training to cut organic waste.",
        ("compost", "composting", "organic waste"),
    ),
    "limpieza-baldio": (
        "Report of an overgrown vacant lot",
        "Reporting plots full of weeds or rubbish so the owner is served notice.",
        ("vacant lot", "overgrown", "weeds"),
    ),
    "adopcion-mascotas": (
        "Responsible dog and cat adoption",
        "An interview, then adoption of rescued animals, neutered and vaccinated.",
        ("adopt a dog", "adopt a cat", "pet adoption"),
    ),
    "denuncia-maltrato-animal": (
        "Animal cruelty report",
        "Reports of cruelty, abandonment or irresponsible keeping of animals.",
        ("animal cruelty", "animal abuse"),
    ),
    "consulta-veterinaria": (
        "Free vet appointment",
        "Basic veterinary care for pets of families without means.",
        ("vet", "veterinarian", "sick pet"),
    ),
    "renovacion-nicho": (
        "Niche lease renewal",
        "Renewing the lease of niches and urn niches that have expired or are about to.",
        ("niche", "cemetery lease", "renew niche"),
    ),
    "arriendo-nicho": (
        "Leasing a niche or plot",
        "Leasing a niche, urn niche or burial plot, as available.",
        ("niche", "burial plot", "grave"),
    ),
    "traslado-restos": (
        "Transfer of remains",
        "Permission to move remains between cemeteries or to other towns.",
        ("move remains", "exhumation"),
    ),
    "reduccion-restos": (
        "Reduction of remains",
        "Asking for the reduction of remains to move them to an urn niche.",
        ("reduction of remains", "urn"),
    ),
    "cremacion": (
        "Cremation request",
        "Cremation at the municipal crematorium, for recent deaths or reduced remains.",
        ("cremation", "crematorium", "ashes"),
    ),
    "inhumacion": (
        "Arranging a burial",
        "Setting the burial date and time with the cemetery office.",
        ("burial", "funeral"),
    ),
    "tasa-cementerio": (
        "Paying the cemetery upkeep fee",
        "Checking and paying the yearly upkeep fee of niches, vaults and plots.",
        ("cemetery fee", "upkeep fee"),
    ),
    "titularidad-nicho": (
        "Transferring a niche",
        "Changing the leaseholder after a death or a transfer.",
        ("niche owner", "niche transfer"),
    ),
    "permiso-lapida": (
        "Headstone or plaque permit",
        "Permission to place or replace headstones, plaques and vases.",
        ("headstone", "gravestone", "plaque"),
    ),
    "ubicacion-sepultura": (
        "Finding a grave",
        "Where remains are buried in the municipal cemeteries.",
        ("find a grave", "grave location"),
    ),
    "evento-via-publica": (
        "Street event permit",
        "Permission for fairs, concerts, exhibitions or cultural events in streets and squares.",
        ("street event", "outdoor event", "concert"),
    ),
    "corte-calle-vecinal": (
        "Street closure for a neighbourhood party",
        "Permission to close a block for neighbourhood, Children's Day or year-end parties.",
        ("street party", "block party", "road closure"),
    ),
    "escuela-deportiva": (
        "Municipal sports schools enrolment",
        "Enrolling children and teenagers in free sports schools.",
        ("sports school", "football", "kids sports"),
    ),
    "colonia-vacaciones": (
        "Holiday camp enrolment",
        "Enrolment in the municipal summer camps for children from 4 to 12.",
        ("summer camp", "holiday camp", "day camp"),
    ),
    "reserva-sala-cultural": (
        "Booking cultural rooms and spaces",
        "Booking municipal rooms for exhibitions, shows and cultural activities.",
        ("book a room", "venue", "exhibition space"),
    ),
    "reserva-polideportivo": (
        "Booking sports centre courts",
        "Booking football, basketball and volleyball courts for organisations and groups of neighbours.",
        ("sports court", "football pitch", "basketball"),
    ),
    "talleres-culturales": (
        "Cultural workshops enrolment",
        "Enrolling in free music, theatre, dance and visual arts workshops.",
        ("art class", "music lessons", "dance class", "workshop"),
    ),
    "artistas-callejeros": (
        "Register of street artists",
        "Registration and a card for artists who perform in public spaces.",
        ("street artist", "busker", "street performer"),
    ),
    "interes-municipal": (
        "Request to declare of municipal interest",
        "Asking for events, publications or projects to be declared of municipal interest.",
        ("municipal interest", "official endorsement"),
    ),
    "apoyo-clubes": (
        "Neighbourhood clubs support programme",
        "Signing up neighbourhood clubs to receive funds for facilities and activities.",
        ("club funding", "sports club"),
    ),
    "carnet-bibliotecas": (
        "Municipal library card",
        "A free card to borrow books from the municipal library network.",
        ("library card", "library", "borrow books"),
    ),
    "natatorios": (
        "Municipal swimming pools enrolment",
        "Signing up for the pool season at the municipal pools and bathing areas.",
        ("swimming pool", "swimming", "pool pass"),
    ),
    "inscripcion-empleo": (
        "Registering with the Employment Office",
        "Recording your work history and profile to access job searches and employment programmes.",
        ("job", "jobs", "find work", "unemployed"),
    ),
    "orientacion-laboral": (
        "Careers guidance interview",
        "A one-to-one interview to set work goals and training options.",
        ("careers advice", "job guidance"),
    ),
    "taller-cv": (
        "CV writing workshop",
        "A group workshop to prepare your CV and practise job interviews.",
        ("CV", "resume", "job interview"),
    ),
    "cursos-oficios": (
        "Vocational courses enrolment",
        "Enrolling in free courses in electrics, cooking, computing and other trades.",
        ("vocational training", "trade course", "free course"),
    ),
    "primer-empleo": (
        "First Job programme",
        "Signing up young people aged 18 to 24 for paid work placements at local companies.",
        ("first job", "internship", "young people"),
    ),
    "registro-emprendedores": (
        "Municipal register of entrepreneurs",
        "Registering to access markets, training and lines of credit.",
        ("entrepreneur", "small business", "startup"),
    ),
    "microcreditos": (
        "Microcredit for entrepreneurs",
        "Advice and applications for microcredit at a subsidised rate.",
        ("microcredit", "small loan", "business loan"),
    ),
    "busquedas-empresas": (
        "Posting job vacancies for companies",
        "A free service for companies to post jobs and receive shortlisted applicants.",
        ("job vacancy", "hiring", "recruitment"),
    ),
    "monotributo-social": (
        "Guidance on registering for the Social Monotributo",
        "Advice and filing the Social Monotributo application for entrepreneurs of the popular economy.",
        ("social tax registration", "self-employed"),
    ),
}


def english(service: DemoService) -> EnglishService:
    """The procedure in English: its own words, and its category and documents from the shared lists."""
    name, description, keywords = _SERVICES[service.slug]
    return EnglishService(
        name=name,
        description=description,
        category=CATEGORIES[service.category],
        required_documents=tuple(DOCUMENTS[document] for document in service.required_documents),
        keywords=keywords,
    )


def check() -> list[str]:
    """What keeps a procedure from reading in English, or would not pass ServiceInput's limits."""
    problems: list[str] = []
    slugs = {service.slug for service in SERVICES}
    problems += [f"English for unknown service {slug}" for slug in sorted(set(_SERVICES) - slugs)]
    for service in SERVICES:
        if service.slug not in _SERVICES:
            problems.append(f"service {service.slug} has no English")
            continue
        if service.category not in CATEGORIES:
            problems.append(f"category {service.category!r} has no English")
        problems += [f"document {d!r} has no English" for d in service.required_documents if d not in DOCUMENTS]
        name, description, keywords = _SERVICES[service.slug]
        if not 0 < len(name) <= 200 or not description or not keywords:
            problems.append(f"service {service.slug}: empty name, description or keywords")
        if len(keywords) > 30 or not all(0 < len(k) <= 60 for k in keywords):
            problems.append(f"service {service.slug}: keywords beyond 30, or one empty or longer than 60")
    names = [name for name, _, _ in _SERVICES.values()]
    problems += [f"duplicate English name {n}" for n in sorted({n for n in names if names.count(n) > 1})]
    return problems
