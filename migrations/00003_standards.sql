-- The shipped service standards: the 16 service categories of the reference
-- pilots and, for each, its metric templates (district_id NULL). A district
-- adjusts a standard by adding its own rows of the same code; it never edits
-- these. Each category's default weights sum to 100; every category rates
-- resident satisfaction (share of ratings with overall >= 4) against 85 %.

-- +goose Up
INSERT INTO service_categories (code, name_zh, name_en, sort) VALUES
    ('ELDERLY_HOME_CARE',   '居家养老服务',         'Elderly home care',                              1),
    ('ELDERLY_DAY_CARE',    '老年人日间照料',       'Elderly day care',                               2),
    ('ELDERLY_APARTMENT',   '老年公寓服务',         'Elderly apartment services',                     3),
    ('DISABILITY_SUPPORT',  '残疾人帮扶',           'Disability support',                             4),
    ('SOCIAL_ASSISTANCE',   '社会救助服务',         'Social assistance services',                     5),
    ('CHARITY_SUPERMARKET', '慈善超市服务',         'Charity supermarket services',                   6),
    ('VOLUNTEER_SERVICE',   '志愿者服务',           'Volunteer services',                             7),
    ('YOUTH_GUIDANCE',      '青少年教育引导',       'Youth education and guidance',                   8),
    ('LEGAL_AID',           '法律咨询服务',         'Legal consultation services',                    9),
    ('CIVIL_MEDIATION',     '民间调解',             'Civil mediation',                                10),
    ('EMPLOYMENT_SERVICE',  '就业援助服务',         'Employment assistance services',                 11),
    ('COMMUNITY_EDUCATION', '社区教育与技能培训',   'Community education and skills training',       12),
    ('CULTURE_SPORTS',      '文体活动',             'Cultural and sports activities',                 13),
    ('COMMUNITY_HEALTH',    '社区卫生计生服务',     'Community health and family planning services',  14),
    ('SOCIAL_WORK_STATION', '社区社工站运营',       'Community social work station operation',        15),
    ('SERVICE_HOTLINE',     '社区服务热线',         'Community service hotline',                      16);

-- Targets are for one subdistrict-level contract over one year.
INSERT INTO metric_templates
    (category_code, district_id, code, name_zh, name_en, unit, direction, source, default_target, default_weight)
VALUES
    -- 居家养老服务 (the worked example's metric set; do not extend)
    ('ELDERLY_HOME_CARE', NULL, 'service_visits',        '上门服务人次',       'Home service visits delivered',            '次',   'higher', 'service_records',  1200, 30),
    ('ELDERLY_HOME_CARE', NULL, 'elderly_coverage',      '服务对象覆盖率',     'Coverage of registered elderly',           '%',    'higher', 'evaluator',          90, 20),
    ('ELDERLY_HOME_CARE', NULL, 'response_time',         '需求响应时间',       'Response time to a request',               '小时', 'lower',  'service_records',    24, 20),
    ('ELDERLY_HOME_CARE', NULL, 'resident_satisfaction', '居民满意度',         'Resident satisfaction',                    '%',    'higher', 'resident_ratings',   85, 20),
    ('ELDERLY_HOME_CARE', NULL, 'complaints_upheld',     '有效投诉数',         'Complaints upheld',                        '件',   'lower',  'evaluator',           2, 10),

    -- 老年人日间照料
    ('ELDERLY_DAY_CARE', NULL, 'service_visits',         '日间照料服务人次',   'Day care visits delivered',                '次',   'higher', 'service_records',  6000, 25),
    ('ELDERLY_DAY_CARE', NULL, 'meal_services',          '助餐服务人次',       'Meals served',                             '次',   'higher', 'service_records',  8000, 15),
    ('ELDERLY_DAY_CARE', NULL, 'activity_sessions',      '文娱康复活动场次',   'Recreation and rehabilitation sessions',   '场',   'higher', 'service_records',   120, 10),
    ('ELDERLY_DAY_CARE', NULL, 'resident_satisfaction',  '居民满意度',         'Resident satisfaction',                    '%',    'higher', 'resident_ratings',   85, 20),
    ('ELDERLY_DAY_CARE', NULL, 'inspection_score',       '现场检查得分',       'On-site inspection score',                 '分',   'higher', 'evaluator',          90, 15),
    ('ELDERLY_DAY_CARE', NULL, 'safety_incidents',       '安全责任事故数',     'Safety incidents',                         '起',   'lower',  'evaluator',           0, 15),

    -- 老年公寓服务
    ('ELDERLY_APARTMENT', NULL, 'bed_occupancy_rate',    '床位入住率',         'Bed occupancy rate',                       '%',    'higher', 'evaluator',          80, 20),
    ('ELDERLY_APARTMENT', NULL, 'care_services',         '生活照料服务人次',   'Personal care services delivered',         '次',   'higher', 'service_records', 10000, 20),
    ('ELDERLY_APARTMENT', NULL, 'care_plan_coverage',    '个性化照护计划覆盖率', 'Coverage of individual care plans',      '%',    'higher', 'evaluator',          95, 10),
    ('ELDERLY_APARTMENT', NULL, 'resident_satisfaction', '居民满意度',         'Resident satisfaction',                    '%',    'higher', 'resident_ratings',   85, 20),
    ('ELDERLY_APARTMENT', NULL, 'inspection_score',      '现场检查得分',       'On-site inspection score',                 '分',   'higher', 'evaluator',          90, 20),
    ('ELDERLY_APARTMENT', NULL, 'safety_incidents',      '安全责任事故数',     'Safety incidents',                         '起',   'lower',  'evaluator',           0, 10),

    -- 残疾人帮扶
    ('DISABILITY_SUPPORT', NULL, 'service_visits',           '帮扶服务人次',       'Support visits delivered',             '次',   'higher', 'service_records',   800, 25),
    ('DISABILITY_SUPPORT', NULL, 'rehab_sessions',           '康复训练服务人次',   'Rehabilitation training sessions',     '次',   'higher', 'service_records',   600, 15),
    ('DISABILITY_SUPPORT', NULL, 'disabled_coverage',        '持证残疾人服务覆盖率', 'Coverage of registered persons with disabilities', '%', 'higher', 'evaluator', 80, 15),
    ('DISABILITY_SUPPORT', NULL, 'response_time',            '需求响应时间',       'Response time to a request',           '小时', 'lower',  'service_records',    48, 10),
    ('DISABILITY_SUPPORT', NULL, 'resident_satisfaction',    '居民满意度',         'Resident satisfaction',                '%',    'higher', 'resident_ratings',   85, 20),
    ('DISABILITY_SUPPORT', NULL, 'certified_social_workers', '持证社工人数',       'Certified social workers on the team', '人',   'higher', 'evaluator',           2, 15),

    -- 社会救助服务
    ('SOCIAL_ASSISTANCE', NULL, 'household_visits',         '困难家庭走访人次',   'Visits to households in hardship',     '次',   'higher', 'service_records',  1000, 25),
    ('SOCIAL_ASSISTANCE', NULL, 'recipient_coverage',       '救助对象建档覆盖率', 'Coverage of assistance recipients on file', '%', 'higher', 'evaluator',        95, 15),
    ('SOCIAL_ASSISTANCE', NULL, 'referrals_completed',      '转介服务件数',       'Referrals completed',                  '件',   'higher', 'service_records',   100, 10),
    ('SOCIAL_ASSISTANCE', NULL, 'response_time',            '急难求助响应时间',   'Response time to an urgent request',   '小时', 'lower',  'service_records',    24, 15),
    ('SOCIAL_ASSISTANCE', NULL, 'resident_satisfaction',    '居民满意度',         'Resident satisfaction',                '%',    'higher', 'resident_ratings',   85, 20),
    ('SOCIAL_ASSISTANCE', NULL, 'certified_social_workers', '持证社工人数',       'Certified social workers on the team', '人',   'higher', 'evaluator',           3, 10),
    ('SOCIAL_ASSISTANCE', NULL, 'complaints_upheld',        '有效投诉数',         'Complaints upheld',                    '件',   'lower',  'evaluator',           2,  5),

    -- 慈善超市服务
    ('CHARITY_SUPERMARKET', NULL, 'beneficiary_visits',    '受助人次',           'Beneficiary visits',                   '次',   'higher', 'service_records',  3000, 25),
    ('CHARITY_SUPERMARKET', NULL, 'donations_raised',      '募集物资价值',       'Value of goods raised',                '万元', 'higher', 'evaluator',          20, 15),
    ('CHARITY_SUPERMARKET', NULL, 'inventory_turnover',    '物资周转次数',       'Inventory turnover',                   '次',   'higher', 'evaluator',           4, 15),
    ('CHARITY_SUPERMARKET', NULL, 'volunteer_hours',       '志愿服务时长',       'Volunteer hours',                      '小时', 'higher', 'service_records',  2000, 10),
    ('CHARITY_SUPERMARKET', NULL, 'resident_satisfaction', '居民满意度',         'Resident satisfaction',                '%',    'higher', 'resident_ratings',   85, 20),
    ('CHARITY_SUPERMARKET', NULL, 'inspection_score',      '现场检查得分',       'On-site inspection score',             '分',   'higher', 'evaluator',          90, 15),

    -- 志愿者服务
    ('VOLUNTEER_SERVICE', NULL, 'registered_volunteers', '注册志愿者人数',     'Registered volunteers',                '人',   'higher', 'evaluator',         500, 15),
    ('VOLUNTEER_SERVICE', NULL, 'volunteer_hours',       '志愿服务时长',       'Volunteer hours',                      '小时', 'higher', 'service_records', 10000, 25),
    ('VOLUNTEER_SERVICE', NULL, 'activities_held',       '志愿服务活动场次',   'Volunteer activities held',            '场',   'higher', 'service_records',   100, 20),
    ('VOLUNTEER_SERVICE', NULL, 'volunteer_training',    '志愿者培训人次',     'Volunteer training attendances',       '次',   'higher', 'service_records',   300, 10),
    ('VOLUNTEER_SERVICE', NULL, 'resident_satisfaction', '居民满意度',         'Resident satisfaction',                '%',    'higher', 'resident_ratings',   85, 20),
    ('VOLUNTEER_SERVICE', NULL, 'complaints_upheld',     '有效投诉数',         'Complaints upheld',                    '件',   'lower',  'evaluator',           2, 10),

    -- 青少年教育引导
    ('YOUTH_GUIDANCE', NULL, 'service_visits',           '青少年服务人次',     'Youth service visits delivered',       '次',   'higher', 'service_records',  2000, 20),
    ('YOUTH_GUIDANCE', NULL, 'group_sessions',           '小组活动节数',       'Group work sessions',                  '节',   'higher', 'service_records',    60, 15),
    ('YOUTH_GUIDANCE', NULL, 'cases_handled',            '个案服务数',         'Casework cases handled',               '个',   'higher', 'service_records',    20, 15),
    ('YOUTH_GUIDANCE', NULL, 'priority_youth_coverage',  '重点青少年覆盖率',   'Coverage of at-risk youth',            '%',    'higher', 'evaluator',          90, 10),
    ('YOUTH_GUIDANCE', NULL, 'resident_satisfaction',    '居民满意度',         'Resident satisfaction',                '%',    'higher', 'resident_ratings',   85, 20),
    ('YOUTH_GUIDANCE', NULL, 'certified_social_workers', '持证社工人数',       'Certified social workers on the team', '人',   'higher', 'evaluator',           2, 10),
    ('YOUTH_GUIDANCE', NULL, 'complaints_upheld',        '有效投诉数',         'Complaints upheld',                    '件',   'lower',  'evaluator',           1, 10),

    -- 法律咨询服务
    ('LEGAL_AID', NULL, 'consultations',          '法律咨询人次',       'Legal consultations given',            '次',   'higher', 'service_records',   600, 25),
    ('LEGAL_AID', NULL, 'cases_represented',      '案件代理数',         'Cases represented',                    '件',   'higher', 'service_records',    20, 15),
    ('LEGAL_AID', NULL, 'mediation_success_rate', '调解成功率',         'Mediation success rate',               '%',    'higher', 'evaluator',          80, 15),
    ('LEGAL_AID', NULL, 'legal_education_events', '普法宣传活动场次',   'Legal education events',               '场',   'higher', 'service_records',    24, 10),
    ('LEGAL_AID', NULL, 'response_time',          '咨询响应时间',       'Response time to a request',           '小时', 'lower',  'service_records',    24, 10),
    ('LEGAL_AID', NULL, 'resident_satisfaction',  '居民满意度',         'Resident satisfaction',                '%',    'higher', 'resident_ratings',   85, 20),
    ('LEGAL_AID', NULL, 'complaints_upheld',      '有效投诉数',         'Complaints upheld',                    '件',   'lower',  'evaluator',           1,  5),

    -- 民间调解
    ('CIVIL_MEDIATION', NULL, 'disputes_mediated',      '受理调解纠纷数',     'Disputes taken into mediation',        '件',   'higher', 'service_records',   120, 25),
    ('CIVIL_MEDIATION', NULL, 'mediation_success_rate', '调解成功率',         'Mediation success rate',               '%',    'higher', 'evaluator',          90, 20),
    ('CIVIL_MEDIATION', NULL, 'agreement_fulfilment',   '调解协议履行率',     'Fulfilment rate of mediation agreements', '%', 'higher', 'evaluator',          95, 10),
    ('CIVIL_MEDIATION', NULL, 'response_time',          '纠纷受理响应时间',   'Response time to a dispute',           '小时', 'lower',  'service_records',    24, 15),
    ('CIVIL_MEDIATION', NULL, 'resident_satisfaction',  '居民满意度',         'Resident satisfaction',                '%',    'higher', 'resident_ratings',   85, 20),
    ('CIVIL_MEDIATION', NULL, 'complaints_upheld',      '有效投诉数',         'Complaints upheld',                    '件',   'lower',  'evaluator',           1, 10),

    -- 就业援助服务
    ('EMPLOYMENT_SERVICE', NULL, 'job_seeker_visits',     '求职服务人次',       'Job seeker services delivered',        '次',   'higher', 'service_records',   800, 20),
    ('EMPLOYMENT_SERVICE', NULL, 'job_placements',        '帮扶就业人数',       'People placed in work',                '人',   'higher', 'service_records',   150, 25),
    ('EMPLOYMENT_SERVICE', NULL, 'training_attendances',  '职业技能培训人次',   'Vocational training attendances',      '次',   'higher', 'service_records',   300, 15),
    ('EMPLOYMENT_SERVICE', NULL, 'hard_to_employ_rate',   '就业困难人员安置率', 'Placement rate of hard-to-employ people', '%', 'higher', 'evaluator',          80, 10),
    ('EMPLOYMENT_SERVICE', NULL, 'resident_satisfaction', '居民满意度',         'Resident satisfaction',                '%',    'higher', 'resident_ratings',   85, 20),
    ('EMPLOYMENT_SERVICE', NULL, 'complaints_upheld',     '有效投诉数',         'Complaints upheld',                    '件',   'lower',  'evaluator',           2, 10),

    -- 社区教育与技能培训
    ('COMMUNITY_EDUCATION', NULL, 'class_hours',           '开设课程课时',       'Class hours delivered',                '课时', 'higher', 'service_records',   300, 20),
    ('COMMUNITY_EDUCATION', NULL, 'learner_visits',        '参训人次',           'Learner attendances',                  '次',   'higher', 'service_records',  3000, 25),
    ('COMMUNITY_EDUCATION', NULL, 'completion_rate',       '结业率',             'Course completion rate',               '%',    'higher', 'evaluator',          85, 15),
    ('COMMUNITY_EDUCATION', NULL, 'certificates_earned',   '取得技能证书人数',   'Learners earning a skills certificate', '人',  'higher', 'evaluator',          50, 10),
    ('COMMUNITY_EDUCATION', NULL, 'resident_satisfaction', '居民满意度',         'Resident satisfaction',                '%',    'higher', 'resident_ratings',   85, 20),
    ('COMMUNITY_EDUCATION', NULL, 'inspection_score',      '现场检查得分',       'On-site inspection score',             '分',   'higher', 'evaluator',          90, 10),

    -- 文体活动
    ('CULTURE_SPORTS', NULL, 'events_held',           '文体活动场次',       'Cultural and sports events held',      '场',   'higher', 'service_records',    48, 25),
    ('CULTURE_SPORTS', NULL, 'participant_visits',    '参与人次',           'Participant attendances',              '次',   'higher', 'service_records',  5000, 25),
    ('CULTURE_SPORTS', NULL, 'resident_teams',        '社区文体团队数',     'Resident culture and sports teams',    '支',   'higher', 'evaluator',           8, 10),
    ('CULTURE_SPORTS', NULL, 'venue_open_hours',      '场地开放时长',       'Venue opening hours',                  '小时', 'higher', 'evaluator',        2000, 10),
    ('CULTURE_SPORTS', NULL, 'resident_satisfaction', '居民满意度',         'Resident satisfaction',                '%',    'higher', 'resident_ratings',   85, 20),
    ('CULTURE_SPORTS', NULL, 'safety_incidents',      '安全责任事故数',     'Safety incidents',                     '起',   'lower',  'evaluator',           0, 10),

    -- 社区卫生计生服务
    ('COMMUNITY_HEALTH', NULL, 'health_education_events',  '健康教育活动场次',   'Health education events',              '场',   'higher', 'service_records',    24, 15),
    ('COMMUNITY_HEALTH', NULL, 'health_followups',         '健康随访人次',       'Health follow-up visits',              '次',   'higher', 'service_records',  1500, 25),
    ('COMMUNITY_HEALTH', NULL, 'health_record_coverage',   '健康档案建档率',     'Health record coverage',               '%',    'higher', 'evaluator',          90, 15),
    ('COMMUNITY_HEALTH', NULL, 'family_planning_services', '计生服务人次',       'Family planning services delivered',   '次',   'higher', 'service_records',   500, 10),
    ('COMMUNITY_HEALTH', NULL, 'resident_satisfaction',    '居民满意度',         'Resident satisfaction',                '%',    'higher', 'resident_ratings',   85, 20),
    ('COMMUNITY_HEALTH', NULL, 'inspection_score',         '现场检查得分',       'On-site inspection score',             '分',   'higher', 'evaluator',          90, 10),
    ('COMMUNITY_HEALTH', NULL, 'complaints_upheld',        '有效投诉数',         'Complaints upheld',                    '件',   'lower',  'evaluator',           2,  5),

    -- 社区社工站运营
    ('SOCIAL_WORK_STATION', NULL, 'service_visits',           '服务人次',           'Service visits delivered',             '次',   'higher', 'service_records',  3000, 20),
    ('SOCIAL_WORK_STATION', NULL, 'cases_handled',            '个案服务数',         'Casework cases handled',               '个',   'higher', 'service_records',    30, 15),
    ('SOCIAL_WORK_STATION', NULL, 'group_sessions',           '小组活动节数',       'Group work sessions',                  '节',   'higher', 'service_records',    48, 10),
    ('SOCIAL_WORK_STATION', NULL, 'certified_social_workers', '持证社工人数',       'Certified social workers on the team', '人',   'higher', 'evaluator',           3, 15),
    ('SOCIAL_WORK_STATION', NULL, 'resident_satisfaction',    '居民满意度',         'Resident satisfaction',                '%',    'higher', 'resident_ratings',   85, 20),
    ('SOCIAL_WORK_STATION', NULL, 'inspection_score',         '现场检查得分',       'On-site inspection score',             '分',   'higher', 'evaluator',          90, 15),
    ('SOCIAL_WORK_STATION', NULL, 'complaints_upheld',        '有效投诉数',         'Complaints upheld',                    '件',   'lower',  'evaluator',           2,  5),

    -- 社区服务热线
    ('SERVICE_HOTLINE', NULL, 'calls_handled',         '受理来电量',         'Calls handled',                        '次',   'higher', 'service_records', 10000, 15),
    ('SERVICE_HOTLINE', NULL, 'connection_rate',       '接通率',             'Call connection rate',                 '%',    'higher', 'evaluator',          95, 20),
    ('SERVICE_HOTLINE', NULL, 'response_time',         '平均响应时长',       'Average response time',                '小时', 'lower',  'service_records',     2, 20),
    ('SERVICE_HOTLINE', NULL, 'resolution_rate',       '办结率',             'Resolution rate',                      '%',    'higher', 'evaluator',          95, 15),
    ('SERVICE_HOTLINE', NULL, 'resident_satisfaction', '居民满意度',         'Resident satisfaction',                '%',    'higher', 'resident_ratings',   85, 20),
    ('SERVICE_HOTLINE', NULL, 'complaints_upheld',     '有效投诉数',         'Complaints upheld',                    '件',   'lower',  'evaluator',           2, 10);

-- +goose Down
-- Only the shipped rows of the shipped categories; metric templates refuse
-- deletion, so the guard is lifted for the rollback alone.
ALTER TABLE metric_templates DISABLE TRIGGER metric_templates_no_delete;
DELETE FROM metric_templates
WHERE district_id IS NULL
  AND category_code IN ('ELDERLY_HOME_CARE', 'ELDERLY_DAY_CARE', 'ELDERLY_APARTMENT', 'DISABILITY_SUPPORT',
                        'SOCIAL_ASSISTANCE', 'CHARITY_SUPERMARKET', 'VOLUNTEER_SERVICE', 'YOUTH_GUIDANCE',
                        'LEGAL_AID', 'CIVIL_MEDIATION', 'EMPLOYMENT_SERVICE', 'COMMUNITY_EDUCATION',
                        'CULTURE_SPORTS', 'COMMUNITY_HEALTH', 'SOCIAL_WORK_STATION', 'SERVICE_HOTLINE');
ALTER TABLE metric_templates ENABLE TRIGGER metric_templates_no_delete;
DELETE FROM service_categories
WHERE code IN ('ELDERLY_HOME_CARE', 'ELDERLY_DAY_CARE', 'ELDERLY_APARTMENT', 'DISABILITY_SUPPORT',
               'SOCIAL_ASSISTANCE', 'CHARITY_SUPERMARKET', 'VOLUNTEER_SERVICE', 'YOUTH_GUIDANCE',
               'LEGAL_AID', 'CIVIL_MEDIATION', 'EMPLOYMENT_SERVICE', 'COMMUNITY_EDUCATION',
               'CULTURE_SPORTS', 'COMMUNITY_HEALTH', 'SOCIAL_WORK_STATION', 'SERVICE_HOTLINE');
