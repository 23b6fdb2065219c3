//! Generators for projects and their members, milestones, tasks and task
//! assignments.
//!
//! A project's client, start day and members come from their own streams so
//! tasks, milestones, invoices and expenses can refer to them consistently.

use super::data::{DAYS, Fanout, Plan, RowRef, STAFF, Spec, date, id, int, money, office_in, txt, when};
use super::gen_people::client_company;
use super::rng::Rng;
use crate::sandbox::words::{MILESTONES, PROJECT_KINDS, SENTENCES, TASK_OBJECTS, TASK_VERBS};
use crate::value::Value;

const SEED_PROJECT: u64 = 0x960_0001;
const SEED_PROJECT_CLIENT: u64 = 0x960_0002;
const SEED_PROJECT_DAY: u64 = 0x960_0003;
const SEED_MEMBER: u64 = 0x960_0004;
const SEED_MILESTONE: u64 = 0x960_0005;
const SEED_TASK: u64 = 0x7A5_0001;
const SEED_TASK_PROJECT: u64 = 0x7A5_0002;
const SEED_ASSIGNED: u64 = 0x7A5_0003;

/// The client of project `p`.
pub(crate) fn project_client(plan: &Plan, p: u64) -> u64 {
    Rng::for_row(SEED_PROJECT_CLIENT, p).id(plan.clients)
}

/// The start day of project `p` (its creation day is up to 2 weeks earlier).
fn project_start(p: u64) -> i64 {
    Rng::for_row(SEED_PROJECT_DAY, p).range(0, DAYS - 200)
}

/// Member `k` (0 or 1) of project `p`: two distinct staff ids.
fn member(p: u64, k: u32) -> u64 {
    let first = Rng::for_row(SEED_MEMBER, p).id(STAFF);
    if k == 0 { first } else { first % STAFF + 1 }
}

/// The project task `t` belongs to.
fn task_project(plan: &Plan, t: u64) -> u64 {
    Rng::for_row(SEED_TASK_PROJECT, t).id(plan.projects)
}

#[rustfmt::skip]
const PROJECT_COLUMNS: &[&str] = &[
    "id", "name", "description", "status", "clientid", "billing_type", "start_date", "deadline",
    "project_created", "date_finished", "progress", "progress_from_tasks", "project_cost",
    "project_rate_per_hour", "estimated_hours", "addedfrom", "contact_notification",
    "notify_contacts",
];

fn project_row(plan: &Plan, at: RowRef) -> Vec<Value> {
    let p = at.id;
    let mut r = Rng::for_row(SEED_PROJECT, p);
    let client = project_client(plan, p);
    let start = project_start(p);
    let status = 1 + r.weighted(&[10, 40, 10, 30, 10]) as i64;
    let billing = r.range(1, 3);
    let progress = match status {
        1 => 0,
        4 => 100,
        _ => r.range(5, 95),
    };
    let name = format!("{} – {}", r.pick(PROJECT_KINDS), client_company(client).name);
    vec![
        id(p),
        txt(name),
        when(r.chance(50), || txt(r.pick(SENTENCES))),
        int(status),
        id(client),
        int(billing),
        date(start),
        when(r.chance(80), || date(start + r.range(60, 240))),
        date(start - r.range(0, 14)),
        when(status == 4, || office_in(&mut r, start, 30, 180)),
        int(progress),
        int(1),
        when(billing == 1, || money(r.range(100, 5_000) * 1_000)),
        when(billing == 2, || money(r.range(50, 150) * 100)),
        when(r.chance(60), || money(r.range(10, 500) * 100)),
        id(r.id(STAFF)),
        int(1),
        txt("a:0:{}"),
    ]
}

fn member_row(_: &Plan, at: RowRef) -> Vec<Value> {
    vec![id(at.id), id(at.parent), id(member(at.parent, at.sub))]
}

#[rustfmt::skip]
const MILESTONE_COLUMNS: &[&str] = &[
    "id", "name", "description", "description_visible_to_customer", "start_date", "due_date",
    "project_id", "color", "milestone_order", "datecreated", "hide_from_customer",
];

fn milestone_row(_: &Plan, at: RowRef) -> Vec<Value> {
    let mut r = Rng::for_row(SEED_MILESTONE, at.id);
    let start = project_start(at.parent) + 60 * i64::from(at.sub);
    vec![
        id(at.id),
        txt(r.pick(MILESTONES)),
        when(r.chance(40), || txt(r.pick(SENTENCES))),
        int(0),
        date(start),
        date(start + 60),
        id(at.parent),
        when(r.chance(50), || txt("#84c529")),
        int(i64::from(at.sub) + 1),
        date(project_start(at.parent)),
        int(0),
    ]
}

#[rustfmt::skip]
const TASK_COLUMNS: &[&str] = &[
    "id", "name", "description", "priority", "dateadded", "startdate", "duedate", "datefinished",
    "addedfrom", "is_added_from_contact", "status", "recurring_type", "repeat_every", "recurring",
    "is_recurring_from", "cycles", "total_cycles", "custom_recurring", "last_recurring_date",
    "rel_id", "rel_type", "is_public", "billable", "billed", "invoice_id", "hourly_rate",
    "milestone", "kanban_order", "milestone_order", "visible_to_client", "deadline_notified",
];

fn task_row(plan: &Plan, at: RowRef) -> Vec<Value> {
    let t = at.id;
    let mut r = Rng::for_row(SEED_TASK, t);
    let project = task_project(plan, t);
    let start = project_start(project) + r.range(0, 150);
    let status = 1 + r.weighted(&[20, 10, 10, 25, 35]) as i64;
    let billable = r.chance(60);
    let milestone = if r.chance(70) { 2 * project - 1 + r.below(2) } else { 0 };
    vec![
        id(t),
        txt(format!("{} {}", r.pick(TASK_VERBS), r.pick(TASK_OBJECTS))),
        when(r.chance(40), || txt(r.pick(SENTENCES))),
        int(r.range(1, 4)),
        office_in(&mut r, start, -5, 0),
        date(start),
        when(r.chance(80), || date(start + r.range(3, 30))),
        when(status == 5, || office_in(&mut r, start, 1, 30)),
        id(r.id(STAFF)),
        int(0),
        int(status),
        Value::Null,
        Value::Null,
        int(0),
        Value::Null,
        int(0),
        int(0),
        int(0),
        Value::Null,
        id(project),
        txt("project"),
        int(0),
        int(i64::from(billable)),
        int(0),
        int(0),
        if billable { money(r.range(40, 120) * 100) } else { money(0) },
        id(milestone),
        id(t),
        int(0),
        int(i64::from(r.chance(30))),
        int(0),
    ]
}

fn assigned_row(plan: &Plan, at: RowRef) -> Vec<Value> {
    let project = task_project(plan, at.parent);
    vec![id(at.id), id(member(project, at.sub)), id(at.parent), int(1), int(0)]
}

/// Generators of the project tables.
pub(crate) static SPECS: &[Spec] = &[
    Spec::one("tblprojects", PROJECT_COLUMNS, |p| p.projects, project_row),
    Spec::per("tblproject_members", &["id", "project_id", "staff_id"], |p| p.projects, Fanout::Fixed(2), member_row),
    Spec::per("tblmilestones", MILESTONE_COLUMNS, |p| p.projects, Fanout::Fixed(2), milestone_row),
    Spec::one("tbltasks", TASK_COLUMNS, |p| p.tasks, task_row),
    Spec::per(
        "tbltask_assigned",
        &["id", "staffid", "taskid", "assigned_from", "is_assigned_from_contact"],
        |p| p.tasks,
        Fanout::Var(|_, t| 1 + u32::from(Rng::for_row(SEED_ASSIGNED, t).chance(25))),
        assigned_row,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_distinct() {
        for p in 1..500 {
            assert_ne!(member(p, 0), member(p, 1));
            assert!((1..=STAFF).contains(&member(p, 1)));
        }
    }
}
