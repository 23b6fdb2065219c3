//! Word lists that fake values are drawn from: the sandbox's fakes (names,
//! places, texts) and, because they read like real data, the demo generator too.
//!
//! A few entries are deliberately non-ASCII to exercise UTF-8 handling.

/// Given names.
#[rustfmt::skip]
pub(crate) const FIRST_NAMES: &[&str] = &[
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Sandra",
    "Paul", "Ashley", "Steven", "Emily", "Andrew", "Donna", "Joshua", "Michelle", "Kevin", "Carol",
    "Brian", "Amanda", "George", "Melissa", "Lukas", "Sophie", "Mateo", "Elena", "Jan", "Anna",
    "Lars", "Ingrid", "Pierre", "Camille", "Marco", "Giulia", "Hiroshi", "Yuki", "Arjun", "Priya",
    "Liam", "Olivia",
];

/// Family names.
#[rustfmt::skip]
pub(crate) const LAST_NAMES: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams",
    "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner",
    "Mueller", "Schmidt", "Schneider", "Fischer", "Dubois", "Rossi", "Novak", "Jansen", "Larsen",
    "Nakamura", "Sato", "Patel", "Kowalski", "O'Brien",
];

/// First word of a company name.
#[rustfmt::skip]
pub(crate) const COMPANY_A: &[&str] = &[
    "Blue", "Summit", "Northern", "Silver", "Golden", "Bright", "Rapid", "Pioneer", "Atlas",
    "Evergreen", "Harbor", "Crystal", "Iron", "Maple", "Quantum", "Red", "Cedar", "Granite", "Nova",
    "Orbit", "Prime", "Royal", "Solar", "Swift", "Urban", "Vertex", "Alpine", "Coastal", "Delta",
    "Eagle",
];

/// Second word of a company name.
#[rustfmt::skip]
pub(crate) const COMPANY_B: &[&str] = &[
    "Logistics", "Systems", "Solutions", "Dynamics", "Foods", "Media", "Robotics", "Consulting",
    "Labs", "Energy", "Textiles", "Builders", "Analytics", "Networks", "Designs", "Motors",
    "Pharma", "Studios", "Ventures", "Works", "Supplies", "Holdings", "Trading", "Software",
    "Outfitters", "Farms", "Capital", "Health", "Interiors", "Travel",
];

/// Company legal suffixes.
#[rustfmt::skip]
pub(crate) const COMPANY_SUFFIX: &[&str] = &[
    "Ltd", "LLC", "GmbH", "Inc.", "Group", "& Co.", "AG", "S.A.", "BV", "Partners",
];

/// Street names.
#[rustfmt::skip]
pub(crate) const STREETS: &[&str] = &[
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "River",
    "Church", "High", "Station", "Mill", "King", "Queen", "Market", "Bridge", "Garden", "Victoria",
    "Harbour", "Castle", "Forest", "Spring", "Meadow", "Chestnut", "Willow", "Sunset",
    "Lindenstraße",
];

/// Street kinds.
pub(crate) const STREET_KINDS: &[&str] = &["Street", "Avenue", "Road", "Lane", "Way", "Boulevard"];

/// (country id in `tblcountries`, city, state).
#[rustfmt::skip]
pub(crate) const PLACES: &[(u64, &str, &str)] = &[
    (1, "New York", "NY"), (1, "San Francisco", "CA"), (1, "Austin", "TX"), (1, "Chicago", "IL"),
    (1, "Seattle", "WA"), (1, "Boston", "MA"), (1, "Denver", "CO"), (1, "Miami", "FL"),
    (2, "London", "England"), (2, "Manchester", "England"), (2, "Edinburgh", "Scotland"),
    (2, "Bristol", "England"), (3, "Berlin", "Berlin"), (3, "Munich", "Bavaria"),
    (3, "Hamburg", "Hamburg"), (3, "Cologne", "North Rhine-Westphalia"),
    (4, "Paris", "Île-de-France"), (4, "Lyon", "Auvergne-Rhône-Alpes"), (5, "Milan", "Lombardy"),
    (5, "Rome", "Lazio"), (6, "Madrid", "Community of Madrid"), (6, "Barcelona", "Catalonia"),
    (7, "Amsterdam", "North Holland"), (7, "Rotterdam", "South Holland"),
    (8, "Brussels", "Brussels-Capital"), (9, "Vienna", "Vienna"), (10, "Zürich", "Zürich"),
    (11, "Stockholm", "Stockholm"), (12, "Oslo", "Oslo"), (13, "Copenhagen", "Capital Region"),
    (14, "Helsinki", "Uusimaa"), (15, "Warsaw", "Masovia"), (15, "Kraków", "Lesser Poland"),
    (16, "Lisbon", "Lisbon"), (17, "Dublin", "Leinster"), (18, "Athens", "Attica"),
    (19, "Prague", "Prague"), (20, "Toronto", "ON"), (20, "Vancouver", "BC"),
    (21, "Mexico City", "CDMX"), (22, "São Paulo", "SP"), (23, "Buenos Aires", "CABA"),
    (24, "Sydney", "NSW"), (24, "Melbourne", "VIC"), (25, "Auckland", "Auckland"),
    (26, "Tokyo", "Tokyo"), (27, "Bangalore", "Karnataka"), (28, "Singapore", "Singapore"),
    (29, "Cape Town", "Western Cape"), (30, "Sofia", "Sofia City"),
];

/// Job titles of contacts and leads.
#[rustfmt::skip]
pub(crate) const JOB_TITLES: &[&str] = &[
    "CEO", "CTO", "CFO", "Office Manager", "Purchasing Manager", "Head of IT", "Accountant",
    "Marketing Director", "Operations Manager", "Project Manager", "Sales Manager", "Founder",
    "Assistant", "Consultant",
];

/// Industries (the values of the "Industry" custom field).
#[rustfmt::skip]
pub(crate) const INDUSTRIES: &[&str] = &[
    "Retail", "Manufacturing", "Healthcare", "Finance", "Education", "Hospitality", "Construction",
    "Logistics", "Technology", "Agriculture", "Media", "Non-profit",
];

/// Project name parts.
#[rustfmt::skip]
pub(crate) const PROJECT_KINDS: &[&str] = &[
    "Website Redesign", "ERP Rollout", "Mobile App", "SEO Campaign", "Data Migration", "Office
    Network", "CRM Integration", "Brand Refresh", "Cloud Migration", "Security Audit", "Online
    Shop", "Intranet", "Support Retainer", "Training Program",
];

/// Task verbs.
#[rustfmt::skip]
pub(crate) const TASK_VERBS: &[&str] = &[
    "Review", "Prepare", "Design", "Implement", "Test", "Deploy", "Document", "Update", "Configure",
    "Migrate", "Plan", "Estimate",
];

/// Task objects.
#[rustfmt::skip]
pub(crate) const TASK_OBJECTS: &[&str] = &[
    "landing page", "database schema", "invoice template", "user onboarding", "backup job", "payment
    gateway", "product catalogue", "mail server", "API endpoints", "analytics report", "kick-off
    meeting", "acceptance tests", "style guide", "firewall rules",
];

/// Milestone names.
#[rustfmt::skip]
pub(crate) const MILESTONES: &[&str] = &[
    "Discovery", "Design approved", "Beta", "Go-live", "Handover", "Phase 1", "Phase 2",
];

/// Ticket subjects.
#[rustfmt::skip]
pub(crate) const TICKET_SUBJECTS: &[&str] = &[
    "Cannot log in to the portal", "Invoice amount looks wrong", "Website is down", "Request for a
    quote", "Email not delivered", "Need more storage", "Password reset link expired", "Question
    about my contract", "Bug in the checkout page", "Change billing address", "SSL certificate
    expired", "Slow page loads",
];

/// Expense names.
#[rustfmt::skip]
pub(crate) const EXPENSE_NAMES: &[&str] = &[
    "Flight to client site", "Hotel", "Printer paper", "Software license", "Office rent",
    "Electricity", "Google Ads", "Team lunch", "Taxi", "Conference ticket", "Domain renewal",
];

/// Free-text sentences for notes, descriptions and messages.
#[rustfmt::skip]
pub(crate) const SENTENCES: &[&str] = &[
    "Called the customer and discussed the next steps.", "Waiting for feedback on the latest
    draft.", "Customer asked for a discount on the annual plan.", "Sent the updated proposal by
    email.", "Meeting scheduled for next week.", "Budget approved by the finance department.",
    "Requested access credentials for the staging server.", "The customer prefers to be contacted in
    the morning.", "Follow up after the holidays.", "Delivered the first milestone on time.",
    "Payment is expected by the end of the month.", "Please see the attached specification.",
];
