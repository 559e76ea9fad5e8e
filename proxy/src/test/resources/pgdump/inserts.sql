--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Data for Name: copies; Type: TABLE DATA; Schema: public; Owner: postgres
--

INSERT INTO public.copies VALUES (1, 'tab	here''q', 'line
break', 1);
INSERT INTO public.copies VALUES (2, 'tab	here''q', 'line
break', 2);
INSERT INTO public.copies VALUES (3, 'tab	here''q', NULL, 3);
INSERT INTO public.copies VALUES (4, 'tab	here''q', 'line
break', 4);
INSERT INTO public.copies VALUES (5, 'tab	here''q', 'line
break', 5);
INSERT INTO public.copies VALUES (6, 'tab	here''q', NULL, 6);
INSERT INTO public.copies VALUES (7, 'tab	here''q', 'line
break', 7);
INSERT INTO public.copies VALUES (8, 'tab	here''q', 'line
break', 8);
INSERT INTO public.copies VALUES (9, 'tab	here''q', NULL, 9);
INSERT INTO public.copies VALUES (10, 'tab	here''q', 'line
break', 10);


--
-- Data for Name: metrics; Type: TABLE DATA; Schema: public; Owner: postgres
--

INSERT INTO public.metrics VALUES ('2026-01-01 00:01:00+00', 1, 0.3333333333333333, 'n''\1');
INSERT INTO public.metrics VALUES ('2026-01-01 00:02:00+00', 2, 0.6666666666666666, 'n''\2');
INSERT INTO public.metrics VALUES ('2026-01-01 00:03:00+00', 3, 1, 'n''\3');
INSERT INTO public.metrics VALUES ('2026-01-01 00:04:00+00', 4, 1.3333333333333333, 'n''\4');
INSERT INTO public.metrics VALUES ('2026-01-01 00:05:00+00', 5, 1.6666666666666667, NULL);
INSERT INTO public.metrics VALUES ('2026-01-01 00:06:00+00', 6, 2, 'n''\6');
INSERT INTO public.metrics VALUES ('2026-01-01 00:07:00+00', 0, 2.3333333333333335, 'n''\7');
INSERT INTO public.metrics VALUES ('2026-01-01 00:08:00+00', 1, 2.6666666666666665, 'n''\8');
INSERT INTO public.metrics VALUES ('2026-01-01 00:09:00+00', 2, 3, 'n''\9');
INSERT INTO public.metrics VALUES ('2026-01-01 00:10:00+00', 3, 3.3333333333333335, NULL);
INSERT INTO public.metrics VALUES ('2026-01-01 00:11:00+00', 4, 3.6666666666666665, 'n''\11');
INSERT INTO public.metrics VALUES ('2026-01-01 00:12:00+00', 5, 4, 'n''\12');
INSERT INTO public.metrics VALUES ('2026-01-01 00:13:00+00', 6, 4.333333333333333, 'n''\13');
INSERT INTO public.metrics VALUES ('2026-01-01 00:14:00+00', 0, 4.666666666666667, 'n''\14');
INSERT INTO public.metrics VALUES ('2026-01-01 00:15:00+00', 1, 5, NULL);
INSERT INTO public.metrics VALUES ('2026-01-01 00:16:00+00', 2, 5.333333333333333, 'n''\16');
INSERT INTO public.metrics VALUES ('2026-01-01 00:17:00+00', 3, 5.666666666666667, 'n''\17');
INSERT INTO public.metrics VALUES ('2026-01-01 00:18:00+00', 4, 6, 'n''\18');
INSERT INTO public.metrics VALUES ('2026-01-01 00:19:00+00', 5, 6.333333333333333, 'n''\19');
INSERT INTO public.metrics VALUES ('2026-01-01 00:20:00+00', 6, 6.666666666666667, NULL);
INSERT INTO public.metrics VALUES ('2026-01-01 00:21:00+00', 0, 7, 'n''\21');
INSERT INTO public.metrics VALUES ('2026-01-01 00:22:00+00', 1, 7.333333333333333, 'n''\22');
INSERT INTO public.metrics VALUES ('2026-01-01 00:23:00+00', 2, 7.666666666666667, 'n''\23');
INSERT INTO public.metrics VALUES ('2026-01-01 00:24:00+00', 3, 8, 'n''\24');
INSERT INTO public.metrics VALUES ('2026-01-01 00:25:00+00', 4, 8.333333333333334, NULL);
INSERT INTO public.metrics VALUES ('2026-01-01 00:26:00+00', 5, 8.666666666666666, 'n''\26');
INSERT INTO public.metrics VALUES ('2026-01-01 00:27:00+00', 6, 9, 'n''\27');
INSERT INTO public.metrics VALUES ('2026-01-01 00:28:00+00', 0, 9.333333333333334, 'n''\28');
INSERT INTO public.metrics VALUES ('2026-01-01 00:29:00+00', 1, 9.666666666666666, 'n''\29');
INSERT INTO public.metrics VALUES ('2026-01-01 00:30:00+00', 2, 10, NULL);
INSERT INTO public.metrics VALUES ('2026-01-01 00:31:00+00', 3, 10.333333333333334, 'n''\31');
INSERT INTO public.metrics VALUES ('2026-01-01 00:32:00+00', 4, 10.666666666666666, 'n''\32');
INSERT INTO public.metrics VALUES ('2026-01-01 00:33:00+00', 5, 11, 'n''\33');
INSERT INTO public.metrics VALUES ('2026-01-01 00:34:00+00', 6, 11.333333333333334, 'n''\34');
INSERT INTO public.metrics VALUES ('2026-01-01 00:35:00+00', 0, 11.666666666666666, NULL);
INSERT INTO public.metrics VALUES ('2026-01-01 00:36:00+00', 1, 12, 'n''\36');
INSERT INTO public.metrics VALUES ('2026-01-01 00:37:00+00', 2, 12.333333333333334, 'n''\37');
INSERT INTO public.metrics VALUES ('2026-01-01 00:38:00+00', 3, 12.666666666666666, 'n''\38');
INSERT INTO public.metrics VALUES ('2026-01-01 00:39:00+00', 4, 13, 'n''\39');
INSERT INTO public.metrics VALUES ('2026-01-01 00:40:00+00', 5, 13.333333333333334, NULL);


--
-- PostgreSQL database dump complete
--


