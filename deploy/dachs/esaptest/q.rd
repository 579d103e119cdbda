<?xml version="1.0" encoding="utf-8"?>
<!-- Test resource for the esap-graphql test suite.

Data are produced deterministically by bin/generate_data.py into data/
(scripts/setup-dachs.sh does that and then runs dachs imp esaptest/q).
-->
<resource schema="esaptest">
	<meta name="title">ESAP GraphQL test archive</meta>
	<meta name="description">Synthetic, deterministic test data for the
		esap-graphql test suite: an ObsCore-published image/cube table and
		a cone-searchable source catalogue.</meta>
	<meta name="creationDate">2024-05-01T00:00:00Z</meta>
	<meta name="subject">observational-astronomy</meta>
	<meta name="subject">catalogs</meta>
	<meta name="creator.name">ESAP test suite</meta>
	<meta name="contentLevel">Research</meta>
	<meta name="type">Catalog</meta>
	<meta name="facility">Isaac Newton Telescope</meta>
	<meta name="facility">LOFAR</meta>
	<meta name="coverage.waveband">Optical</meta>
	<meta name="coverage.waveband">Radio</meta>

	<!-- ================================================= ObsCore images -->

	<table id="images" onDisk="True" adql="True"
			namePath="//obscore#ObsCore">
		<meta name="description">Synthetic images (collection esaptest-images)
			and cubes (collection esaptest-cubes), published to ivoa.obscore.
		</meta>
		<mixin>//obscore#publishObscoreLike</mixin>
		<LOOP listItems="obs_publisher_did obs_id obs_collection obs_title
				obs_creator_did dataproduct_type dataproduct_subtype calib_level
				target_class s_ra s_dec s_fov s_region s_resolution
				s_xel1 s_xel2 s_pixel_scale t_min t_max t_exptime t_resolution
				t_xel em_min em_max em_res_power em_xel em_ucd o_ucd pol_states
				pol_xel facility_name instrument_name access_url access_format
				access_estsize preview">
			<events>
				<column original="\item"/>
			</events>
		</LOOP>
		<!-- unicode (VOTable unicodeChar) so non-ASCII target names survive
			when querying esaptest.images directly; DaCHS writes the text-typed
			ivoa.obscore.target_name as VOTable char and replaces non-ASCII
			characters with '?' there. -->
		<column original="target_name" type="unicode"/>
		<index columns="obs_publisher_did"/>
		<index columns="obs_collection"/>
	</table>

	<data id="import_images">
		<sources>data/images.csv</sources>
		<csvGrammar enc="utf-8"/>
		<make table="images">
			<rowmaker idmaps="*">
				<!-- empty CSV fields are NULLs -->
				<apply name="emptyToNull">
					<code>
						for key, val in list(vars.items()):
							if val=="":
								vars[key] = None
					</code>
				</apply>
				<map key="s_region" nullExpr="''"
					>pgsphere.SPoly.fromDALI([float(v) for v in @s_region.split()])</map>
			</rowmaker>
		</make>
	</data>

	<!-- ========================================== cone-search sources -->

	<table id="sources" onDisk="True" adql="True" primary="id">
		<meta name="description">Synthetic source catalogue; 11000 of the
			12000 sources lie within 1 degree of (RA, Dec) = (150, 2).</meta>
		<mixin>//scs#q3cindex</mixin>
		<column name="id" type="text" ucd="meta.id;meta.main"
			tablehead="ID" description="Source identifier" verbLevel="1"
			required="True"/>
		<column name="ra" type="double precision" unit="deg"
			ucd="pos.eq.ra;meta.main" tablehead="RA"
			description="ICRS right ascension" verbLevel="1" required="True"/>
		<column name="dec" type="double precision" unit="deg"
			ucd="pos.eq.dec;meta.main" tablehead="Dec"
			description="ICRS declination" verbLevel="1" required="True"/>
		<column name="mag" type="real" unit="mag" ucd="phot.mag"
			tablehead="Mag" description="Synthetic magnitude" verbLevel="1"/>
		<column name="name" type="unicode" ucd="meta.id"
			tablehead="Name" description="Source designation" verbLevel="1"/>
	</table>

	<data id="import_sources">
		<sources>data/sources.csv</sources>
		<csvGrammar enc="utf-8"/>
		<make table="sources">
			<rowmaker idmaps="*"/>
		</make>
	</data>

	<!-- ================================================== services -->

	<service id="cone" allowed="scs.xml,form">
		<meta name="title">ESAP test cone search</meta>
		<meta name="shortName">esaptest cone</meta>
		<meta name="description">Simple Cone Search over esaptest.sources.
		</meta>
		<meta name="testQuery.ra">150.0</meta>
		<meta name="testQuery.dec">2.0</meta>
		<meta name="testQuery.sr">0.01</meta>
		<dbCore queriedTable="sources">
			<FEED source="//scs#coreDescs"/>
		</dbCore>
		<publish render="scs.xml" sets="local"/>
	</service>
</resource>
